import type { PoolClient } from "pg";
import type Stripe from "stripe";

// The card an organization saved for auto top-up: its Stripe id (charged off-session) and a label
// for the billing page ("Visa •••• 4242"). The card number itself never reaches us.

export function describeCard(method: Stripe.PaymentMethod): string {
  const card = method.card;
  if (!card) return "Saved payment method";
  const brand = card.brand ? card.brand.charAt(0).toUpperCase() + card.brand.slice(1) : "Card";
  return `${brand} •••• ${card.last4}`;
}

export async function saveCardForOrganization(
  client: PoolClient,
  organizationId: string,
  card: { id: string; label: string },
): Promise<void> {
  await client.query(
    `UPDATE "Organization" SET "stripePaymentMethodId" = $2, "paymentMethodLabel" = $3, "updatedAt" = (now() AT TIME ZONE 'UTC')
      WHERE id = $1`,
    [organizationId, card.id, card.label.slice(0, 100)],
  );
}
