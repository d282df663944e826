import { notFound } from "next/navigation";
import { Card, CardHeader, Notice, PageHeader } from "@/components/ui/card";
import { KeyForm } from "@/components/keys/key-form";
import type { KeyFormValues } from "@/components/keys/key-form-state";
import { KeyStatusBadge, spendSummary } from "@/components/keys/key-list";
import { RevokeKeyForm } from "@/components/keys/revoke-key-form";
import { ApiError } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import { formatAgo, formatDate } from "@/lib/format";
import { getApiKey, type ApiKeyRecord } from "@/lib/keys/manage";
import { listPublicModels } from "@/lib/models/public-models";
import { requireTenant } from "@/lib/tenancy/context";
import { updateKeyAction } from "../actions";

export const metadata = { title: "Edit API key", description: "Rename an API key, change its limits or revoke it." };

// No loading.tsx for this page (the list's sits in the (list) group): a loading boundary streams a
// 200 before the page can call notFound(), and a key of another organization must answer 404.

/** The date the form shows: the last day the key works (it expires at the start of the next). */
function lastDay(expiresAt: Date | null): string {
  return expiresAt ? formatDate(new Date(expiresAt.getTime() - 1)) : "";
}

function formValues(key: ApiKeyRecord): KeyFormValues {
  return {
    name: key.name,
    allowedModels: key.allowedModels,
    expiresOn: lastDay(key.expiresAt),
    rpmLimit: key.rpmLimit?.toString() ?? "",
    tpmLimit: key.tpmLimit?.toString() ?? "",
    maxConcurrency: key.maxConcurrency?.toString() ?? "",
    spendLimitUsd: key.spendLimitNanos === null ? "" : nanosToUsd(key.spendLimitNanos),
    spendLimitPeriod: key.spendLimitPeriod,
  };
}

export default async function EditKeyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { organization } = await requireTenant("ADMIN", `/dashboard/keys/${encodeURIComponent(id)}`);
  let key: ApiKeyRecord;
  try {
    key = await getApiKey(organization.id, id);
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_found") notFound(); // also another organization's key
    throw error;
  }
  const models = await listPublicModels();
  // A model the key allows that has since been disabled still shows, so saving does not drop it silently.
  const options = models.map((m) => ({ id: m.id, displayName: m.displayName, provider: m.provider }));
  for (const modelId of key.allowedModels) {
    if (!options.some((o) => o.id === modelId)) options.push({ id: modelId, displayName: modelId, provider: "" });
  }
  const spend = spendSummary(key);

  return (
    <>
      <PageHeader
        title={`Edit “${key.name}”`}
        description={
          <>
            Limits of the key <span className="font-mono">{key.partialKey}</span>. The secret itself cannot be shown or
            changed; to replace it, create a new key and revoke this one.
          </>
        }
        actions={
          key.status !== "revoked" ? <RevokeKeyForm keyId={key.id} name={key.name} partialKey={key.partialKey} /> : null
        }
      />
      <div className="grid gap-6">
        <Card>
          <CardHeader title="Status" action={<KeyStatusBadge status={key.status} />} />
          <dl className="grid gap-4 px-5 py-4 text-sm sm:grid-cols-3">
            <div>
              <dt className="text-slate-500">Spend</dt>
              <dd className="text-slate-900 tabular-nums">{spend.primary}</dd>
              {spend.detail && <dd className="text-xs text-slate-500">{spend.detail}</dd>}
            </div>
            <div>
              <dt className="text-slate-500">Created</dt>
              <dd className="text-slate-900">
                {formatDate(key.createdAt)}
                {key.createdBy ? ` by ${key.createdBy.name || key.createdBy.email}` : ""}
              </dd>
            </div>
            <div>
              <dt className="text-slate-500">Last used</dt>
              <dd className="text-slate-900">{key.lastUsedAt ? formatAgo(key.lastUsedAt) : "Never"}</dd>
            </div>
          </dl>
        </Card>
        {key.status === "revoked" ? (
          <Notice tone="info">
            This key is revoked: it can no longer make requests, and its limits cannot change.
          </Notice>
        ) : (
          <Card className="p-5 sm:p-6">
            <KeyForm
              mode="edit"
              action={updateKeyAction}
              models={options}
              initial={formValues(key)}
              keyId={key.id}
              expiresOnWas={lastDay(key.expiresAt)}
            />
          </Card>
        )}
      </div>
    </>
  );
}
