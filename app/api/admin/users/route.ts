// GET /api/admin/users — search (?q= email, name or id) and page (?limit=&cursor=); POST — create a
// user with a personal organization (no password: they get an emailed link to choose one).
import { createUser, createUserSchema, listUsers, listUsersQuery } from "@/lib/admin/users";
import { json, parseBody, parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) => json(await listUsers(parseQuery(request, listUsersQuery))));

export const POST = withAdmin(async ({ request, admin }) =>
  json(await createUser(await parseBody(request, createUserSchema), admin), 201),
);
