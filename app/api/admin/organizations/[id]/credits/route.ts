// POST /api/admin/organizations/{id}/credits — credit adjustment (negative allowed, never below zero).
import { adjustOrganizationCredit, creditOrganizationSchema } from "@/lib/admin/organizations";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await adjustOrganizationCredit(params.id, await parseBody(request, creditOrganizationSchema), admin)),
);
