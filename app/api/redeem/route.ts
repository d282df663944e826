// POST /api/redeem — a tenant redeems a credit code with its gateway key (Authorization: Bearer tf-…).
import { redeemCode, redeemCodeSchema } from "@/lib/billing/redemption";
import { json, parseBody, withGatewayKey } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withGatewayKey(async ({ request, key }) => {
  const { code } = await parseBody(request, redeemCodeSchema);
  return json(await redeemCode(key.organizationId, code));
});
