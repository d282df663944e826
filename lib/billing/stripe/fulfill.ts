import type { PoolClient } from "pg";
import type Stripe from "stripe";
import { creditOrganization } from "@/lib/billing/credits";
import { getPool, withTransaction } from "@/lib/db/pool";
import { stripeClient, stripeSettings } from "./config";
import { recordStripeEvent, type StripeEventRef } from "./event-log";
import { lockPayment, type PaymentRow } from "./payments";
import { describeCard, saveCardForOrganization } from "./saved-card";
import { logger } from "@/lib/log";

const log = logger("stripe");

// The one fulfilment path (Stripe's "fulfill orders" guidance): whoever calls it — the webhook, the
// success page, the reconcile command, the auto top-up runner — it re-reads the object from Stripe
// instead of trusting what it was handed, credits only money Stripe says arrived, checks amount and
// currency against our own pending row, and credits exactly once: the Payment row is locked, the
// ledger entry is unique per payment (TOPUP, payment id), and the event record is written in the
// same transaction as the credit.

export type FulfillResult =
  | "credited"
  | "already_credited"
  | "pending"
  | "failed"
  | "expired"
  | "mismatch"
  | "card_saved"
  | "unknown_session"
  | "unknown_payment_intent"
  | "unknown_payment"
  | "livemode_mismatch";

/** What Stripe says about a payment, read from a Checkout Session or a PaymentIntent. */
interface StripeFacts {
  paid: boolean;
  failed: boolean;
  expired: boolean;
  amountCents: number | null;
  currency: string | null;
  sessionId: string | null;
  paymentIntent: Stripe.PaymentIntent | null;
  failureReason: string | null;
  /** The buyer asked to keep the card for auto top-up (Checkout with setup_future_usage). */
  saveCard: boolean;
}

export function isMissingResource(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string };
  return e?.statusCode === 404 || e?.code === "resource_missing";
}

export async function fulfillCheckoutSession(
  sessionId: string,
  event: StripeEventRef | null = null,
): Promise<FulfillResult> {
  const settings = stripeSettings();
  if (!settings) throw new Error("Stripe is not configured");
  let session: Stripe.Checkout.Session;
  try {
    session = await stripeClient().checkout.sessions.retrieve(sessionId, {
      expand: ["payment_intent.latest_charge", "payment_intent.payment_method", "setup_intent.payment_method"],
    });
  } catch (err) {
    // A session Stripe does not know: acknowledged and recorded, nothing credited. Anything else
    // (network, 5xx) propagates: the webhook answers 5xx and Stripe delivers the event again.
    if (isMissingResource(err)) return recordStripeEvent(getPool(), event, "unknown_session");
    throw err;
  }
  if (session.livemode !== settings.livemode) return recordStripeEvent(getPool(), event, "livemode_mismatch");
  if (session.mode === "setup") return saveCardFromSetupSession(session, event);

  const paymentId = session.client_reference_id ?? session.metadata?.tokenflow_payment_id;
  const paymentIntent = typeof session.payment_intent === "object" ? session.payment_intent : null;
  const facts: StripeFacts = {
    paid: session.payment_status === "paid",
    failed: session.status === "complete" && paymentIntent !== null && isFailedIntent(paymentIntent),
    expired: session.status === "expired",
    amountCents: session.amount_total,
    currency: session.currency,
    sessionId: session.id,
    paymentIntent,
    failureReason: paymentIntent?.last_payment_error?.message ?? null,
    saveCard: session.metadata?.save_card === "true",
  };
  return applyToPayment(paymentId ?? null, facts, event, (payment) => payment.stripeSessionId === session.id);
}

/** The same for a PaymentIntent of ours (auto top-up, or the intent behind a Checkout payment). */
export async function fulfillPaymentIntent(
  paymentIntentId: string,
  event: StripeEventRef | null = null,
): Promise<FulfillResult> {
  const settings = stripeSettings();
  if (!settings) throw new Error("Stripe is not configured");
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripeClient().paymentIntents.retrieve(paymentIntentId, {
      expand: ["latest_charge", "payment_method"],
    });
  } catch (err) {
    if (isMissingResource(err)) return recordStripeEvent(getPool(), event, "unknown_payment_intent");
    throw err;
  }
  if (intent.livemode !== settings.livemode) return recordStripeEvent(getPool(), event, "livemode_mismatch");
  const facts: StripeFacts = {
    paid: intent.status === "succeeded",
    failed: isFailedIntent(intent),
    expired: false,
    amountCents: intent.amount_received || intent.amount,
    currency: intent.currency,
    sessionId: null,
    paymentIntent: intent,
    failureReason: intent.last_payment_error?.message ?? null,
    saveCard: false,
  };
  return applyToPayment(
    intent.metadata?.tokenflow_payment_id ?? null,
    facts,
    event,
    (payment) => payment.stripePaymentIntentId === null || payment.stripePaymentIntentId === intent.id,
  );
}

/** An intent that will not succeed without the buyer: declined, or cancelled. */
function isFailedIntent(intent: Stripe.PaymentIntent): boolean {
  return intent.status === "requires_payment_method" || intent.status === "canceled";
}

async function applyToPayment(
  paymentId: string | null,
  facts: StripeFacts,
  event: StripeEventRef | null,
  belongs: (payment: PaymentRow) => boolean,
): Promise<FulfillResult> {
  if (!paymentId) return recordStripeEvent(getPool(), event, "unknown_payment");
  const card = facts.saveCard ? paymentMethodOf(facts.paymentIntent) : null;
  return withTransaction(async (client) => {
    const payment = await lockPayment(client, paymentId);
    if (!payment || !belongs(payment)) return recordStripeEvent(client, event, "unknown_payment");
    const result = await settlePayment(client, payment, facts);
    if (result === "credited" && card) await saveCardForOrganization(client, payment.organizationId, card);
    return recordStripeEvent(client, event, result);
  });
}

async function settlePayment(client: PoolClient, payment: PaymentRow, facts: StripeFacts): Promise<FulfillResult> {
  if (payment.creditedAt) return "already_credited";
  const intent = facts.paymentIntent;
  if (facts.paid) {
    const expectedCents = Number(payment.amountNanos / 10_000_000n);
    if (facts.amountCents !== expectedCents || facts.currency?.toLowerCase() !== payment.currency) {
      const reason =
        `Stripe reported ${facts.amountCents ?? "no amount"} ${facts.currency ?? "(no currency)"} in cents, ` +
        `we expected ${expectedCents} ${payment.currency}: nothing credited`;
      await client.query(
        `UPDATE "Payment" SET status = 'NEEDS_REVIEW', "reviewReason" = $2, "stripeSessionId" = COALESCE("stripeSessionId", $3),
                "stripePaymentIntentId" = COALESCE("stripePaymentIntentId", $4), "updatedAt" = (now() AT TIME ZONE 'UTC')
          WHERE id = $1`,
        [payment.id, reason, facts.sessionId, intent?.id ?? null],
      );
      log.warn({ paymentId: payment.id, reason }, "payment needs review");
      return "mismatch";
    }
    const charge = intent && typeof intent.latest_charge === "object" ? intent.latest_charge : null;
    await creditOrganization(client, {
      organizationId: payment.organizationId,
      amountNanos: payment.amountNanos,
      kind: "TOPUP",
      reference: payment.id,
      note: payment.kind === "AUTO_TOP_UP" ? "auto top-up, charged to the saved card" : "paid through Stripe Checkout",
    });
    await client.query(
      `UPDATE "Payment"
          SET status = 'SUCCEEDED', "creditedAt" = (now() AT TIME ZONE 'UTC'), "updatedAt" = (now() AT TIME ZONE 'UTC'),
              "stripeSessionId" = COALESCE("stripeSessionId", $2), "stripePaymentIntentId" = COALESCE($3, "stripePaymentIntentId"),
              "stripeChargeId" = COALESCE($4, "stripeChargeId"), "receiptUrl" = COALESCE($5, "receiptUrl"),
              "failureReason" = NULL, "reviewReason" = NULL
        WHERE id = $1`,
      [payment.id, facts.sessionId, intent?.id ?? null, charge?.id ?? null, charge?.receipt_url ?? null],
    );
    return "credited";
  }
  if (payment.status !== "PENDING") return payment.status === "EXPIRED" ? "expired" : "failed";
  if (facts.expired) {
    await client.query(
      `UPDATE "Payment" SET status = 'EXPIRED', "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
      [payment.id],
    );
    return "expired";
  }
  if (facts.failed) {
    await markPaymentFailed(client, payment, facts.failureReason ?? "The payment was declined.", intent?.id ?? null);
    return "failed";
  }
  return "pending";
}

/**
 * A payment that will not succeed. An auto top-up that fails turns auto top-up off (it would only
 * fail again) and queues an email to the owners (the notification outbox sends it).
 */
export async function markPaymentFailed(
  client: PoolClient,
  payment: Pick<PaymentRow, "id" | "organizationId" | "kind" | "amountNanos">,
  reason: string,
  paymentIntentId: string | null,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE "Payment" SET status = 'FAILED', "failureReason" = $2, "updatedAt" = (now() AT TIME ZONE 'UTC'),
            "stripePaymentIntentId" = COALESCE("stripePaymentIntentId", $3)
      WHERE id = $1 AND status = 'PENDING'`,
    [payment.id, reason.slice(0, 500), paymentIntentId],
  );
  if (!rowCount || payment.kind !== "AUTO_TOP_UP") return Boolean(rowCount);
  await client.query(
    `UPDATE "Organization" SET "autoTopUpEnabled" = false, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
    [payment.organizationId],
  );
  await client.query(
    `INSERT INTO "Notification" (id, kind, "organizationId", data, "createdAt")
     VALUES (gen_random_uuid()::TEXT, 'AUTO_TOP_UP_FAILED', $1, $2::jsonb, (now() AT TIME ZONE 'UTC'))`,
    [
      payment.organizationId,
      JSON.stringify({ amountNanos: payment.amountNanos.toString(), reason: reason.slice(0, 300) }),
    ],
  );
  return true;
}

function paymentMethodOf(intent: Stripe.PaymentIntent | null): { id: string; label: string } | null {
  const method = intent?.payment_method;
  if (!method) return null;
  if (typeof method === "string") return { id: method, label: "Saved card" };
  return { id: method.id, label: describeCard(method) };
}

async function saveCardFromSetupSession(
  session: Stripe.Checkout.Session,
  event: StripeEventRef | null,
): Promise<FulfillResult> {
  const organizationId = session.metadata?.organization_id ?? session.client_reference_id;
  const setupIntent = typeof session.setup_intent === "object" ? session.setup_intent : null;
  if (!organizationId || session.status !== "complete" || !setupIntent || setupIntent.status !== "succeeded") {
    return recordStripeEvent(getPool(), event, session.status === "expired" ? "expired" : "pending");
  }
  const method = setupIntent.payment_method;
  if (!method) return recordStripeEvent(getPool(), event, "pending");
  const card =
    typeof method === "string" ? { id: method, label: "Saved card" } : { id: method.id, label: describeCard(method) };
  const customerId = typeof session.customer === "string" ? session.customer : (session.customer?.id ?? null);
  return withTransaction(async (client) => {
    const { rows } = await client.query<{ stripeCustomerId: string | null }>(
      `SELECT "stripeCustomerId" FROM "Organization" WHERE id = $1 FOR UPDATE`,
      [organizationId],
    );
    // The card must belong to the organization's own Stripe customer, or it could not be charged.
    if (!rows[0] || !customerId || rows[0].stripeCustomerId !== customerId) {
      return recordStripeEvent(client, event, "unknown_payment");
    }
    await saveCardForOrganization(client, organizationId, card);
    return recordStripeEvent(client, event, "card_saved");
  });
}
