// GET /api/admin/redemption-codes?batchId=&status= — list codes (partials only); POST — create a batch (codes shown once).
import {
  createRedemptionCodes,
  createRedemptionCodesSchema,
  listRedemptionCodes,
  listRedemptionCodesQuery,
} from "@/lib/admin/redemption-codes";
import { json, parseBody, parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) =>
  json(await listRedemptionCodes(parseQuery(request, listRedemptionCodesQuery))),
);

export const POST = withAdmin(async ({ request, admin }) =>
  json(await createRedemptionCodes(await parseBody(request, createRedemptionCodesSchema), admin), 201),
);
