import { PageHeader } from "@/components/ui/card";
import { requireTenant } from "@/lib/tenancy/context";

export const metadata = { title: "Overview — TokenFlow" };

export default async function OverviewPage() {
  const { organization } = await requireTenant("MEMBER", "/dashboard");
  return <PageHeader title="Overview" description={organization.name} />;
}
