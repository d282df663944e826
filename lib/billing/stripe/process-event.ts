import type Stripe from "stripe";
import { getPool } from "@/lib/db/pool";
import { stripeSettings } from "./config";
import { isStripeEventRecorded, recordStripeEvent, type StripeEventRef } from "./event-log";
import { handleDispute } from "./events/charge-dispute";
import { handleChargeRefunded } from "./events/charge-refunded";
import { fulfillCheckoutSession, fulfillPaymentIntent } from "./fulfill";

// One verified Stripe event → what we do about it. Shared by the webhook and `npm run
// stripe:reconcile`. Each handler records the event in the transaction that moved money; the
// check for an already recorded event up front only saves the Stripe round trip of a redelivery.
// Throws on a transient failure (database, Stripe unreachable): the caller answers 5xx so Stripe
// delivers again.

export const HANDLED_EVENT_TYPES = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.async_payment_failed",
  "checkout.session.expired",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.closed",
] as const;

export async function processStripeEvent(event: Stripe.Event): Promise<{ result: string; duplicate: boolean }> {
  const settings = stripeSettings();
  if (!settings) throw new Error("Stripe is not configured");
  const object = event.data.object as { id?: string };
  const ref: StripeEventRef = {
    id: event.id,
    type: event.type,
    livemode: event.livemode,
    objectId: typeof object?.id === "string" ? object.id : null,
    created: event.created,
  };
  if (await isStripeEventRecorded(event.id)) return { result: "duplicate", duplicate: true };
  // A test-mode event at a live deployment (or the reverse) is signed but not ours to act on.
  if (event.livemode !== settings.livemode) {
    return { result: await recordStripeEvent(getPool(), ref, "livemode_mismatch"), duplicate: false };
  }
  return { result: await dispatch(event, ref), duplicate: false };
}

async function dispatch(event: Stripe.Event, ref: StripeEventRef): Promise<string> {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired":
      return fulfillCheckoutSession(event.data.object.id, ref);
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed":
      if (!event.data.object.metadata?.tokenflow_payment_id) return recordStripeEvent(getPool(), ref, "ignored");
      return fulfillPaymentIntent(event.data.object.id, ref);
    case "charge.refunded":
      return handleChargeRefunded(event.data.object, ref);
    case "charge.dispute.created":
    case "charge.dispute.closed":
      return handleDispute(event.data.object, ref);
    default:
      return recordStripeEvent(getPool(), ref, "ignored");
  }
}
