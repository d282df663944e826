// GET /api/admin/users/{id} — one user with their organizations and the keys they created;
// PATCH — disable or enable them, or set their platform role (never the last active admin: 409).
import { getUserDetail, updateUser, updateUserSchema } from "@/lib/admin/users";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => json(await getUserDetail(params.id)));

export const PATCH = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await updateUser(params.id, await parseBody(request, updateUserSchema), admin)),
);
