import { getPool } from "@/lib/db/pool";
import { isTopUpConfigured } from "./config";
import { fulfillCheckoutSession, type FulfillResult } from "./fulfill";
import { logger } from "@/lib/log";

const log = logger("stripe");

// The success page's question: did this checkout credit anything? It fulfils the session itself
// (Stripe's advice: do not wait for the webhook when the buyer is already back), so a closed tab
// and a late webhook both still credit exactly once.

export type CheckoutState = "credited" | "processing" | "failed" | "expired" | "review" | "card_saved" | "unknown";

export interface CheckoutStatus {
  state: CheckoutState;
  amountNanos: bigint | null;
  organizationName: string | null;
}

const SESSION_ID = /^cs_[A-Za-z0-9_]{1,250}$/;

export async function checkoutStatus(userId: string, sessionId: string): Promise<CheckoutStatus> {
  if (!SESSION_ID.test(sessionId)) return { state: "unknown", amountNanos: null, organizationName: null };
  let payment = await paymentOfSession(userId, sessionId);
  let fulfilled: FulfillResult | null = null;
  if (isTopUpConfigured() && (!payment || payment.status === "PENDING")) {
    try {
      fulfilled = await fulfillCheckoutSession(sessionId);
    } catch (err) {
      log.warn({ err, sessionId }, "the success page could not fulfil the session yet");
    }
    payment = await paymentOfSession(userId, sessionId);
  }
  if (!payment) {
    return { state: fulfilled === "card_saved" ? "card_saved" : "unknown", amountNanos: null, organizationName: null };
  }
  const state: CheckoutState =
    payment.creditedAt !== null
      ? "credited"
      : payment.status === "FAILED"
        ? "failed"
        : payment.status === "EXPIRED"
          ? "expired"
          : payment.status === "NEEDS_REVIEW"
            ? "review"
            : "processing";
  return { state, amountNanos: payment.amountNanos, organizationName: payment.name };
}

async function paymentOfSession(userId: string, sessionId: string) {
  const { rows } = await getPool().query<{
    status: string;
    amountNanos: bigint;
    creditedAt: Date | null;
    name: string;
  }>(
    `SELECT p.status, p."amountNanos", p."creditedAt", o.name
       FROM "Payment" p
       JOIN "Membership" m ON m."organizationId" = p."organizationId" AND m."userId" = $2
       JOIN "Organization" o ON o.id = p."organizationId"
      WHERE p."stripeSessionId" = $1`,
    [sessionId, userId],
  );
  return rows[0] ?? null;
}
