// POST /api/admin/redemption-codes/revoke — revoke many codes ({ ids } or { batchId }); used ones are skipped.
import { revokeRedemptionCodes, revokeRedemptionCodesSchema } from "@/lib/admin/redemption-codes";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withAdmin(async ({ request, admin }) =>
  json(await revokeRedemptionCodes(await parseBody(request, revokeRedemptionCodesSchema), admin)),
);
