// GET /api/admin/models — all models with prices (USD per 1M tokens); POST — add one.
import { createModel, createModelSchema, listModels } from "@/lib/admin/models";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async () => json(await listModels()));

export const POST = withAdmin(async ({ request, admin }) =>
  json(await createModel(await parseBody(request, createModelSchema), admin), 201),
);
