import { json, parseBody, withSession } from "@/lib/api/handler";
import { autoTopUpRequestSchema, updateAutoTopUp } from "@/lib/billing/stripe/auto-top-up";

// PUT /api/billing/auto-top-up {organizationId, enabled, thresholdUsd, amountUsd, maxPerDay} (owners).
export const PUT = withSession(async ({ request, user }) => {
  const input = await parseBody(request, autoTopUpRequestSchema);
  return json(await updateAutoTopUp({ organizationId: input.organizationId, userId: user.id }, input));
});
