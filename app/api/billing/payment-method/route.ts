import { z } from "zod";
import { json, parseBody, withSession } from "@/lib/api/handler";
import { createCardSetupCheckout } from "@/lib/billing/stripe/checkout";

// POST /api/billing/payment-method {organizationId} → {url}: Stripe Checkout in setup mode (owners).
const schema = z.strictObject({ organizationId: z.string().min(1).max(100) });

export const POST = withSession(async ({ request, user }) => {
  const { organizationId } = await parseBody(request, schema);
  return json(await createCardSetupCheckout({ organizationId, userId: user.id }));
});
