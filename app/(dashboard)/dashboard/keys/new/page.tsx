import { Card, PageHeader } from "@/components/ui/card";
import { KeyForm } from "@/components/keys/key-form";
import { EMPTY_KEY_FORM } from "@/components/keys/key-form-state";
import { listPublicModels } from "@/lib/models/public-models";
import { requireTenant } from "@/lib/tenancy/context";
import { createKeyAction } from "../actions";

export const metadata = {
  title: "Create API key",
  description: "Create an API key with its own model allow-list, rate and spend limits.",
};

// No loading.tsx for this page (the list's sits in the (list) group): a loading boundary streams a
// 200 before the page can call notFound(), and a key of another organization must answer 404.

export default async function NewKeyPage() {
  const { organization } = await requireTenant("ADMIN", "/dashboard/keys/new");
  const models = await listPublicModels();
  return (
    <>
      <PageHeader
        title="Create API key"
        description={
          <>
            A key for <span className="font-medium text-slate-800">{organization.name}</span>. Its requests are paid
            from the organization&apos;s balance; every limit is optional and can be changed later.
          </>
        }
      />
      <Card className="p-5 sm:p-6">
        <KeyForm
          mode="create"
          action={createKeyAction}
          models={models.map((m) => ({ id: m.id, displayName: m.displayName, provider: m.provider }))}
          initial={EMPTY_KEY_FORM}
        />
      </Card>
    </>
  );
}
