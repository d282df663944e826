// GET /api/admin/organizations/{id} — one organization with balance, held funds and key count.
import { getOrganization } from "@/lib/admin/organizations";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => json(await getOrganization(params.id)));
