import { json, parseBody, withSession } from "@/lib/api/handler";
import { checkoutRequestSchema, createTopUpCheckout } from "@/lib/billing/stripe/checkout";

// POST /api/billing/checkout {organizationId, amountUsd, saveCard?} → {id, url} of a Stripe Checkout Session.
export const POST = withSession(async ({ request, user }) => {
  const input = await parseBody(request, checkoutRequestSchema);
  const session = await createTopUpCheckout({ organizationId: input.organizationId, userId: user.id }, input);
  return json(session);
});
