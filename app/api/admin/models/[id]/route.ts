// GET/PATCH /api/admin/models/{id} — read or change one model (prices, caps, capabilities, enabled).
import { getModel, updateModel, updateModelSchema } from "@/lib/admin/models";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => json(await getModel(params.id)));

export const PATCH = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await updateModel(params.id, await parseBody(request, updateModelSchema), admin)),
);
