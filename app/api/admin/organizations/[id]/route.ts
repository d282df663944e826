// GET /api/admin/organizations/{id} — one organization with balance, held funds and key count;
// PATCH — rename it, set its requests/min limit, or disable it.
import { getOrganization, updateOrganization, updateOrganizationSchema } from "@/lib/admin/organizations";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => json(await getOrganization(params.id)));

export const PATCH = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await updateOrganization(params.id, await parseBody(request, updateOrganizationSchema), admin)),
);
