// DELETE /api/admin/keys/{id} — revoke an API key (the row stays, with revokedAt).
import { revokeOrganizationApiKey } from "@/lib/admin/api-keys";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const DELETE = withAdmin<{ id: string }>(async ({ params, admin }) =>
  json(await revokeOrganizationApiKey(params.id, admin)),
);
