import { ButtonLink } from "@/components/ui/button";
import { Card, CardHeader, EmptyState, Notice, PageHeader } from "@/components/ui/card";
import { KeyList } from "@/components/keys/key-list";
import { listApiKeys } from "@/lib/keys/manage";
import { hasRole, requireTenant } from "@/lib/tenancy/context";

export const metadata = {
  title: "API keys",
  description: "Your organization's API keys, their limits and their last use.",
};

// Every member sees all of the organization's keys (read-only): keys belong to the organization,
// not to whoever created them, and members need to know which key their code runs on. Owners and
// admins create, limit and revoke them.
export default async function KeysPage({ searchParams }: { searchParams: Promise<{ revoked?: string }> }) {
  const { organization } = await requireTenant("MEMBER", "/dashboard/keys");
  const canManage = hasRole(organization.role, "ADMIN");
  const keys = await listApiKeys(organization.id);
  const usable = keys.filter((k) => k.status === "active");
  const inactive = keys.filter((k) => k.status !== "active");
  const revokedId = (await searchParams).revoked;
  const justRevoked = revokedId ? keys.find((k) => k.id === revokedId && k.status === "revoked") : undefined;
  const createButton = canManage ? <ButtonLink href="/dashboard/keys/new">Create key</ButtonLink> : null;

  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Keys of <span className="font-medium text-slate-800">{organization.name}</span> for the{" "}
            <span className="font-mono">/v1</span> API. Every member of the organization can see all of its keys; only
            owners and admins can create, limit or revoke them. A key is shown in full only once, when it is created.
          </>
        }
        actions={keys.length > 0 ? createButton : null}
      />
      <div className="grid gap-6">
        {justRevoked && (
          <Notice tone="success">
            Key “{justRevoked.name}” ({justRevoked.partialKey}) is revoked: requests with it are refused.
          </Notice>
        )}
        {!canManage && (
          <Notice tone="info">
            You are a member of this organization: you can see its keys, and its owners and admins create keys and
            change their limits. Ask one of them for a key.
          </Notice>
        )}
        <Card>
          <CardHeader
            title="Active keys"
            description={usable.length === 1 ? "1 key can make requests." : `${usable.length} keys can make requests.`}
          />
          {keys.length === 0 ? (
            <EmptyState title="No API keys yet" action={createButton}>
              {canManage
                ? "Create a key to call TokenFlow from your code with the OpenAI SDK. You can limit what it may spend, how fast it may call and which models it may use."
                : "When an owner or admin of this organization creates a key, it appears here."}
            </EmptyState>
          ) : usable.length === 0 ? (
            <EmptyState title="No active keys">Every key of this organization is revoked or expired.</EmptyState>
          ) : (
            <KeyList keys={usable} canManage={canManage} />
          )}
        </Card>
        {inactive.length > 0 && (
          <Card>
            <details className="group" data-testid="inactive-keys">
              <summary className="flex cursor-pointer list-none items-center justify-between gap-3 px-5 py-4">
                <span>
                  <span className="block text-base font-semibold text-slate-900">Revoked and expired keys</span>
                  <span className="block text-sm text-slate-600">
                    {inactive.length === 1 ? "1 key" : `${inactive.length} keys`} that can no longer make requests, kept
                    for their usage history.
                  </span>
                </span>
                <span className="text-sm font-medium text-indigo-700 group-open:hidden">Show</span>
                <span className="hidden text-sm font-medium text-indigo-700 group-open:inline">Hide</span>
              </summary>
              <div className="border-t border-slate-100">
                <KeyList keys={inactive} canManage={canManage} />
              </div>
            </details>
          </Card>
        )}
      </div>
    </>
  );
}
