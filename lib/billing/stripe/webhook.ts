import Stripe from "stripe";
import { stripeClient, stripeSettings } from "./config";
import { countStripeEvent } from "@/lib/metrics/hooks";
import { HANDLED_EVENT_TYPES, processStripeEvent } from "./process-event";
import { logger } from "@/lib/log";

const log = logger("stripe");

// POST /api/stripe/webhook. The signature is checked on the raw body, byte for byte, with Stripe's
// default tolerance of 300 s against replays; nothing is parsed before that. We answer 2xx only
// after the database committed what the event means, and 5xx when something transient failed, so
// that Stripe delivers it again (it retries for 3 days). Bad signatures get 400 and change nothing.
// https://docs.stripe.com/webhooks#verify-events

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function handleStripeWebhook(rawBody: Buffer | string, signature: string | null): Promise<WebhookAnswer> {
  const settings = stripeSettings();
  if (!settings) return { status: 404, body: { error: { message: "Stripe is not configured on this server." } } };
  if (!signature) return { status: 400, body: { error: { message: "Missing Stripe-Signature header." } } };
  let event: Stripe.Event;
  try {
    event = stripeClient().webhooks.constructEvent(rawBody, signature, settings.webhookSecret);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      return { status: 400, body: { error: { message: "The Stripe signature does not verify." } } };
    }
    throw err;
  }
  try {
    const { result, duplicate } = await processStripeEvent(event);
    countStripeEvent(eventTypeLabel(event.type), result);
    return { status: 200, body: { received: true, result, ...(duplicate ? { duplicate } : {}) } };
  } catch (err) {
    log.error({ err, eventId: event.id, eventType: event.type }, "event processing failed; Stripe will retry");
    countStripeEvent(eventTypeLabel(event.type), "failed");
    return { status: 500, body: { error: { message: "Processing failed; Stripe will deliver this event again." } } };
  }
}

/** The metrics label of an event type: the types we handle by name, the rest as one (bounded) value. */
function eventTypeLabel(type: string): string {
  return (HANDLED_EVENT_TYPES as readonly string[]).includes(type) ? type : "other";
}
