import type Stripe from "stripe";
import { getPool } from "@/lib/db/pool";
import { recordStripeEvent, type StripeEventRef } from "../event-log";
import { fulfillCheckoutSession, fulfillPaymentIntent } from "../fulfill";
import { findPaymentOfCharge, type PaymentRow } from "../payments";
import { stripeClient } from "../config";

/**
 * Our payment behind a charge that is refunded or disputed, credited first if it is still pending
 * (the refund or dispute event overtook the payment's own events: fulfil it now, from Stripe's
 * state, so the debit that follows has a credit to offset). A string is the recorded result when
 * there is nothing of ours to act on.
 */
export async function paymentOfCharge(
  chargeId: string,
  paymentIntent: string | Stripe.PaymentIntent | null,
  event: StripeEventRef,
): Promise<PaymentRow | string> {
  const intentId = typeof paymentIntent === "string" ? paymentIntent : (paymentIntent?.id ?? null);
  let payment = await findPaymentOfCharge(getPool(), chargeId, intentId);
  if (!payment && intentId) {
    // Not linked yet: our id travels in the intent's metadata (set when the payment was created).
    const intent = await stripeClient().paymentIntents.retrieve(intentId);
    const paymentId = intent.metadata?.tokenflow_payment_id;
    if (paymentId) {
      const { rows } = await getPool().query<{ stripeSessionId: string | null }>(
        `SELECT "stripeSessionId" FROM "Payment" WHERE id = $1`,
        [paymentId],
      );
      if (rows[0]?.stripeSessionId) await fulfillCheckoutSession(rows[0].stripeSessionId);
      else if (rows[0]) await fulfillPaymentIntent(intentId);
      payment = await findPaymentOfCharge(getPool(), chargeId, intentId);
    }
  } else if (payment && !payment.creditedAt && payment.status === "PENDING") {
    if (payment.stripeSessionId) await fulfillCheckoutSession(payment.stripeSessionId);
    else if (payment.stripePaymentIntentId) await fulfillPaymentIntent(payment.stripePaymentIntentId);
  }
  if (!payment) return recordStripeEvent(getPool(), event, "unknown_charge");
  return payment;
}
