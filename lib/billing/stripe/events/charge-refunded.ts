import type Stripe from "stripe";
import { creditOrganization } from "@/lib/billing/credits";
import { withTransaction } from "@/lib/db/pool";
import { formatUsd } from "@/lib/format";
import { centsToNanos } from "../amounts";
import { recordStripeEvent, type StripeEventRef } from "../event-log";
import { lockPayment } from "../payments";
import { paymentOfCharge } from "./payment-of-charge";

// charge.refunded carries the charge's running total `amount_refunded`. We debit the difference
// between it and what we already debited for that charge, so a redelivery, a reordering (an older
// total arriving after a newer one) or a second partial refund all end with the total debited once.
// The debit may take the balance below zero: the money already went back to the card.
// https://docs.stripe.com/api/charges/object#charge_object-amount_refunded

export async function handleChargeRefunded(charge: Stripe.Charge, event: StripeEventRef): Promise<string> {
  const found = await paymentOfCharge(charge.id, charge.payment_intent, event);
  if (typeof found === "string") return found;
  return withTransaction(async (client) => {
    const payment = await lockPayment(client, found.id);
    if (!payment?.creditedAt) return recordStripeEvent(client, event, "not_credited");
    const refundedNanos = centsToNanos(charge.amount_refunded);
    const target = refundedNanos > payment.amountNanos ? payment.amountNanos : refundedNanos;
    const debit = target - payment.refundedNanos;
    if (debit <= 0n) return recordStripeEvent(client, event, "already_refunded");
    await creditOrganization(client, {
      organizationId: payment.organizationId,
      amountNanos: -debit,
      kind: "REFUND",
      reference: `${charge.id}:${charge.amount_refunded}`,
      note: `Refund of ${formatUsd(debit)} (${formatUsd(target)} of ${formatUsd(payment.amountNanos)} refunded in all)`,
    });
    await client.query(
      `UPDATE "Payment" SET "refundedNanos" = $2, "stripeChargeId" = COALESCE("stripeChargeId", $3),
              status = CASE WHEN $2 >= "amountNanos" THEN 'REFUNDED'::"PaymentStatus" ELSE status END,
              "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = $1`,
      [payment.id, target.toString(), charge.id],
    );
    return recordStripeEvent(client, event, "refunded");
  });
}
