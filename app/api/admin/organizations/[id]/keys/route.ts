// GET /api/admin/organizations/{id}/keys — list its API keys; POST — issue one (full key shown once).
import { createApiKeySchema, createOrganizationApiKey, listOrganizationApiKeys } from "@/lib/admin/api-keys";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => json(await listOrganizationApiKeys(params.id)));

export const POST = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await createOrganizationApiKey(params.id, await parseBody(request, createApiKeySchema), admin), 201),
);
