import { Playground } from "@/components/playground/playground";
import { ButtonLink } from "@/components/ui/button";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { listPlaygroundKeys } from "@/lib/playground/keys";
import { hasRole, requireTenant } from "@/lib/tenancy/context";

export const metadata = {
  title: "Playground",
  description: "Try any model with one of your keys, billed like any other request.",
};

export default async function PlaygroundPage() {
  const { organization } = await requireTenant("MEMBER", "/dashboard/playground");
  const keys = await listPlaygroundKeys(organization.id);
  return (
    <>
      <PageHeader
        title="Playground"
        description="Chat with any model your key allows. Every answer is a real request, billed to the key you pick."
      />
      {keys.length > 0 ? (
        <Playground keys={keys} />
      ) : (
        <Card>
          <EmptyState
            title="Create a key first"
            action={
              hasRole(organization.role, "ADMIN") ? (
                <ButtonLink href="/dashboard/keys">Create a key</ButtonLink>
              ) : (
                <ButtonLink href="/dashboard/keys" variant="secondary">
                  See API keys
                </ButtonLink>
              )
            }
          >
            The playground sends each message through one of {organization.name}&apos;s API keys, so the answer is
            billed and limited like any request that key makes. This organization has no active key yet.
          </EmptyState>
        </Card>
      )}
    </>
  );
}
