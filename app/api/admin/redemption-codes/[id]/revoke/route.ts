// POST /api/admin/redemption-codes/{id}/revoke — revoke one unused code (a redeemed one answers 409).
import { revokeRedemptionCode } from "@/lib/admin/redemption-codes";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ params, admin }) =>
  json(await revokeRedemptionCode(params.id, admin)),
);
