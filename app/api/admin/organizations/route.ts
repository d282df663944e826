// GET /api/admin/organizations — search (?q=) and page (?limit=&cursor=); POST — create one.
import {
  createOrganization,
  createOrganizationSchema,
  listOrganizations,
  listOrganizationsQuery,
} from "@/lib/admin/organizations";
import { json, parseBody, parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) =>
  json(await listOrganizations(parseQuery(request, listOrganizationsQuery))),
);

export const POST = withAdmin(async ({ request, admin }) =>
  json(await createOrganization(await parseBody(request, createOrganizationSchema), admin), 201),
);
