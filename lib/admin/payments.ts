import { z } from "zod";
import { ApiError, notFound } from "@/lib/api/errors";
import { nanosToUsd } from "@/lib/billing/money";
import {
  isMissingResource,
  fulfillCheckoutSession,
  fulfillPaymentIntent,
  type FulfillResult,
} from "@/lib/billing/stripe/fulfill";
import { stripeSettings } from "@/lib/billing/stripe/config";
import type { PaymentKind, PaymentStatus } from "@/lib/billing/stripe/payments";
import { getPool } from "@/lib/db/pool";
import { decodeCursor, encodeCursor } from "@/lib/usage/cursor";
import { recordAudit } from "./audit";
import type { AdminActor } from "./auth";
import { freeText, idRef, queryInt } from "./fields";
import { logger } from "@/lib/log";

const log = logger("admin");

// Top-ups across tenants for the operator (admin only): every Payment with its Stripe ids, the
// ones that need a person (pending for over an hour, amount mismatches, refunds and disputes,
// organizations a dispute flagged), and the two repairs: run the one fulfilment path again for a
// top-up, and clear an organization's review flag. Shared by /api/admin/payments* and /admin/payments.

/** A pending top-up older than this is stuck: its webhook never came (or never will). */
export const STUCK_AFTER_MINUTES = 60;

export const PAYMENT_STATUSES = ["PENDING", "SUCCEEDED", "FAILED", "REFUNDED", "EXPIRED", "NEEDS_REVIEW"] as const;
export const PAYMENT_KINDS = ["CHECKOUT", "AUTO_TOP_UP"] as const;

export const listPaymentsQuery = z.object({
  status: z.enum(PAYMENT_STATUSES).optional(),
  kind: z.enum(PAYMENT_KINDS).optional(),
  /** An organization id, or part of its name (case-insensitive). */
  organization: freeText(200).optional(),
  /** Only pending top-ups older than STUCK_AFTER_MINUTES. */
  stuck: z.enum(["true", "false"]).optional(),
  cursor: idRef.optional(),
  limit: queryInt(1, 100, 25),
});
export type ListPaymentsQuery = z.output<typeof listPaymentsQuery>;

export const listStripeEventsQuery = z.object({
  type: freeText(100).optional(),
  result: freeText(100).optional(),
  cursor: idRef.optional(),
  limit: queryInt(1, 100, 25),
});
export type ListStripeEventsQuery = z.output<typeof listStripeEventsQuery>;

export const clearReviewSchema = z.strictObject({ note: freeText(500).optional() });

export interface PaymentJson {
  id: string;
  organization: { id: string; name: string };
  kind: PaymentKind;
  status: PaymentStatus;
  amountUsd: string;
  currency: string;
  refundedUsd: string;
  disputedUsd: string;
  stripe: { sessionId: string | null; paymentIntentId: string | null; chargeId: string | null };
  receiptUrl: string | null;
  failureReason: string | null;
  reviewReason: string | null;
  isStuck: boolean;
  createdAt: string;
  creditedAt: string | null;
  updatedAt: string;
}

interface PaymentDbRow {
  id: string;
  organizationId: string;
  organizationName: string;
  kind: PaymentKind;
  status: PaymentStatus;
  amountNanos: bigint;
  currency: string;
  refundedNanos: bigint;
  disputedNanos: bigint;
  stripeSessionId: string | null;
  stripePaymentIntentId: string | null;
  stripeChargeId: string | null;
  receiptUrl: string | null;
  failureReason: string | null;
  reviewReason: string | null;
  isStuck: boolean;
  createdAt: Date;
  creditedAt: Date | null;
  updatedAt: Date;
}

const PAYMENT_SELECT = `
  SELECT p.id, p."organizationId", o.name AS "organizationName", p.kind, p.status, p."amountNanos", p.currency,
         p."refundedNanos", p."disputedNanos", p."stripeSessionId", p."stripePaymentIntentId", p."stripeChargeId",
         p."receiptUrl", p."failureReason", p."reviewReason", p."createdAt", p."creditedAt", p."updatedAt",
         (p.status = 'PENDING' AND p."createdAt" < (now() AT TIME ZONE 'UTC') - interval '${STUCK_AFTER_MINUTES} minutes') AS "isStuck"
    FROM "Payment" p JOIN "Organization" o ON o.id = p."organizationId"`;

function toPaymentJson(row: PaymentDbRow): PaymentJson {
  return {
    id: row.id,
    organization: { id: row.organizationId, name: row.organizationName },
    kind: row.kind,
    status: row.status,
    amountUsd: nanosToUsd(row.amountNanos),
    currency: row.currency,
    refundedUsd: nanosToUsd(row.refundedNanos),
    disputedUsd: nanosToUsd(row.disputedNanos),
    stripe: {
      sessionId: row.stripeSessionId,
      paymentIntentId: row.stripePaymentIntentId,
      chargeId: row.stripeChargeId,
    },
    receiptUrl: row.receiptUrl,
    failureReason: row.failureReason,
    reviewReason: row.reviewReason,
    isStuck: row.isStuck,
    createdAt: row.createdAt.toISOString(),
    creditedAt: row.creditedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Top-ups newest first, filtered; keyset pages of (createdAt, id). */
export async function listPayments(
  query: ListPaymentsQuery,
): Promise<{ data: PaymentJson[]; nextCursor: string | null }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(sql(`$${values.length}`));
  };
  if (query.status) add((n) => `p.status = ${n}::"PaymentStatus"`, query.status);
  if (query.kind) add((n) => `p.kind = ${n}::"PaymentKind"`, query.kind);
  if (query.organization) {
    add(
      (n) =>
        `(p."organizationId" = ${n} OR o.name ILIKE '%' || replace(replace(replace(${n}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')`,
      query.organization,
    );
  }
  if (query.stuck === "true") {
    where.push(
      `p.status = 'PENDING' AND p."createdAt" < (now() AT TIME ZONE 'UTC') - interval '${STUCK_AFTER_MINUTES} minutes'`,
    );
  }
  const cursor = decodeCursor(query.cursor);
  if (cursor) {
    values.push(cursor.createdAt, cursor.id);
    where.push(`(p."createdAt", p.id) < ($${values.length - 1}, $${values.length})`);
  }
  values.push(query.limit + 1);
  const { rows } = await getPool().query<PaymentDbRow>(
    `${PAYMENT_SELECT}
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY p."createdAt" DESC, p.id DESC
      LIMIT $${values.length}`,
    values,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map(toPaymentJson),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

export async function getPayment(paymentId: string): Promise<PaymentJson | null> {
  const { rows } = await getPool().query<PaymentDbRow>(`${PAYMENT_SELECT} WHERE p.id = $1`, [paymentId]);
  return rows[0] ? toPaymentJson(rows[0]) : null;
}

/** What needs a person: stuck pending top-ups, amount mismatches, refunded or disputed ones. */
export async function listPaymentsNeedingAttention(limit = 50): Promise<{
  stuck: PaymentJson[];
  needsReview: PaymentJson[];
  refundedOrDisputed: PaymentJson[];
}> {
  const pool = getPool();
  const [stuck, needsReview, refundedOrDisputed] = await Promise.all([
    pool.query<PaymentDbRow>(
      `${PAYMENT_SELECT}
        WHERE p.status = 'PENDING' AND p."createdAt" < (now() AT TIME ZONE 'UTC') - interval '${STUCK_AFTER_MINUTES} minutes'
        ORDER BY p."createdAt" ASC, p.id ASC LIMIT $1`,
      [limit],
    ),
    pool.query<PaymentDbRow>(
      `${PAYMENT_SELECT} WHERE p.status = 'NEEDS_REVIEW' ORDER BY p."createdAt" DESC, p.id DESC LIMIT $1`,
      [limit],
    ),
    pool.query<PaymentDbRow>(
      `${PAYMENT_SELECT} WHERE p."refundedNanos" > 0 OR p."disputedNanos" > 0
        ORDER BY p."updatedAt" DESC, p.id DESC LIMIT $1`,
      [limit],
    ),
  ]);
  return {
    stuck: stuck.rows.map(toPaymentJson),
    needsReview: needsReview.rows.map(toPaymentJson),
    refundedOrDisputed: refundedOrDisputed.rows.map(toPaymentJson),
  };
}

export interface MoneyBackEntryJson {
  id: string;
  organization: { id: string; name: string };
  kind: "REFUND" | "DISPUTE" | "DISPUTE_REVERSAL";
  amountUsd: string; // signed: what the balance changed by
  reference: string;
  note: string | null;
  createdAt: string;
}

/** The ledger's side of refunds and disputes, newest first. */
export async function listRefundAndDisputeEntries(limit = 50): Promise<MoneyBackEntryJson[]> {
  const { rows } = await getPool().query<{
    id: string;
    organizationId: string;
    organizationName: string;
    kind: MoneyBackEntryJson["kind"];
    amountNanos: bigint;
    reference: string;
    note: string | null;
    createdAt: Date;
  }>(
    `SELECT l.id, l."organizationId", o.name AS "organizationName", l.kind, l."amountNanos", l.reference, l.note, l."createdAt"
       FROM "LedgerEntry" l JOIN "Organization" o ON o.id = l."organizationId"
      WHERE l.kind IN ('REFUND', 'DISPUTE', 'DISPUTE_REVERSAL')
      ORDER BY l."createdAt" DESC, l.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: row.id,
    organization: { id: row.organizationId, name: row.organizationName },
    kind: row.kind,
    amountUsd: nanosToUsd(row.amountNanos),
    reference: row.reference,
    note: row.note,
    createdAt: row.createdAt.toISOString(),
  }));
}

export interface FlaggedOrganizationJson {
  id: string;
  name: string;
  balanceUsd: string;
  reviewReason: string | null;
  flaggedAt: string;
}

export async function listFlaggedOrganizations(limit = 100): Promise<FlaggedOrganizationJson[]> {
  const { rows } = await getPool().query<{
    id: string;
    name: string;
    balanceNanos: bigint;
    billingReviewReason: string | null;
    billingReviewAt: Date;
  }>(
    `SELECT id, name, "balanceNanos", "billingReviewReason", "billingReviewAt" FROM "Organization"
      WHERE "billingReviewAt" IS NOT NULL ORDER BY "billingReviewAt" DESC, id LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    balanceUsd: nanosToUsd(row.balanceNanos),
    reviewReason: row.billingReviewReason,
    flaggedAt: row.billingReviewAt.toISOString(),
  }));
}

export interface StripeEventJson {
  id: string;
  type: string;
  livemode: boolean;
  objectId: string | null;
  result: string;
  /** The top-up the event's object belongs to, when we can tell (session, intent or charge id). */
  payment: { id: string; organizationId: string; organizationName: string } | null;
  stripeCreatedAt: string;
  processedAt: string;
}

/** Webhook events we processed and what processing did, newest first; keyset pages. */
export async function listStripeEvents(
  query: ListStripeEventsQuery,
): Promise<{ data: StripeEventJson[]; nextCursor: string | null }> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (query.type) {
    values.push(query.type);
    where.push(`e.type = $${values.length}`);
  }
  if (query.result) {
    values.push(query.result);
    where.push(`e.result = $${values.length}`);
  }
  const cursor = decodeCursor(query.cursor);
  if (cursor) {
    values.push(cursor.createdAt, cursor.id);
    where.push(`(e."createdAt", e.id) < ($${values.length - 1}, $${values.length})`);
  }
  values.push(query.limit + 1);
  const { rows } = await getPool().query<{
    id: string;
    type: string;
    livemode: boolean;
    objectId: string | null;
    result: string;
    stripeCreatedAt: Date;
    createdAt: Date;
    paymentId: string | null;
    organizationId: string | null;
    organizationName: string | null;
  }>(
    `SELECT e.id, e.type, e.livemode, e."objectId", e.result, e."stripeCreatedAt", e."createdAt",
            p.id AS "paymentId", p."organizationId", o.name AS "organizationName"
       FROM "StripeEvent" e
       LEFT JOIN LATERAL (
         SELECT id, "organizationId" FROM "Payment"
          WHERE e."objectId" IS NOT NULL
            AND ("stripeSessionId" = e."objectId" OR "stripePaymentIntentId" = e."objectId" OR "stripeChargeId" = e."objectId")
          LIMIT 1
       ) p ON true
       LEFT JOIN "Organization" o ON o.id = p."organizationId"
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY e."createdAt" DESC, e.id DESC
      LIMIT $${values.length}`,
    values,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((row) => ({
      id: row.id,
      type: row.type,
      livemode: row.livemode,
      objectId: row.objectId,
      result: row.result,
      payment:
        row.paymentId && row.organizationId
          ? { id: row.paymentId, organizationId: row.organizationId, organizationName: row.organizationName ?? "" }
          : null,
      stripeCreatedAt: row.stripeCreatedAt.toISOString(),
      processedAt: row.createdAt.toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

// ---------- repairs ----------

const RESULT_MESSAGES: Record<FulfillResult, string> = {
  credited: "Stripe says it was paid: the top-up was credited now.",
  already_credited: "Already credited: nothing changed.",
  pending: "Stripe has not received the money yet: nothing credited.",
  failed: "The payment failed at Stripe: nothing credited.",
  expired: "The Checkout Session expired unpaid: nothing credited.",
  mismatch: "Stripe's amount or currency does not match ours: nothing credited, marked for review.",
  card_saved: "A card was saved; no money moves for this session.",
  unknown_session: "Stripe does not know this Checkout Session.",
  unknown_payment_intent: "Stripe does not know this payment.",
  unknown_payment: "Stripe's object does not belong to this top-up: nothing credited.",
  livemode_mismatch: "Stripe's object is from the other mode (live/test): nothing credited.",
};

/** What a fulfilment result means, for people; null for a string that is no result. */
export function fulfilmentMessage(result: string): string | null {
  return Object.hasOwn(RESULT_MESSAGES, result) ? RESULT_MESSAGES[result as FulfillResult] : null;
}

export interface FulfilmentRunJson {
  result: FulfillResult;
  message: string;
  payment: PaymentJson;
}

/** The audited picture of a payment: what fulfilment can change. */
function auditView(payment: PaymentJson) {
  return {
    status: payment.status,
    amountUsd: payment.amountUsd,
    creditedAt: payment.creditedAt,
    reviewReason: payment.reviewReason,
    stripeSessionId: payment.stripe.sessionId,
    stripePaymentIntentId: payment.stripe.paymentIntentId,
    stripeChargeId: payment.stripe.chargeId,
  };
}

/**
 * Runs the one fulfilment path again for a top-up (the webhook never came, or came while we were
 * down): it re-reads Stripe and credits exactly once, so pressing it twice is harmless. Audited.
 */
export async function rerunFulfilment(paymentId: string, actor: AdminActor): Promise<FulfilmentRunJson> {
  const before = await getPayment(paymentId);
  if (!before) throw notFound("Top-up");
  if (!stripeSettings()) throw new ApiError("conflict", "Stripe is not configured on this server.");
  const { sessionId, paymentIntentId } = before.stripe;
  if (!sessionId && !paymentIntentId) {
    throw new ApiError(
      "conflict",
      "This top-up never reached Stripe (no Checkout Session or payment): nothing to fulfil.",
    );
  }
  let result: FulfillResult;
  try {
    result = sessionId ? await fulfillCheckoutSession(sessionId) : await fulfillPaymentIntent(paymentIntentId!);
  } catch (err) {
    if (isMissingResource(err)) result = sessionId ? "unknown_session" : "unknown_payment_intent";
    else {
      log.error({ err, paymentId }, "fulfilment failed");
      throw new ApiError("service_unavailable", "Stripe could not be reached. Nothing changed; try again shortly.");
    }
  }
  const after = (await getPayment(paymentId)) ?? before;
  await recordAudit(actor, {
    action: "payment.fulfill",
    targetType: "payment",
    targetId: paymentId,
    before: auditView(before),
    after: auditView(after),
    data: { result, organizationId: before.organization.id, stripeObject: sessionId ?? paymentIntentId },
  });
  return { result, message: RESULT_MESSAGES[result], payment: after };
}

/** Clears the review flag a dispute set on an organization. Audited with the flag before and after. */
export async function clearOrganizationReview(
  organizationId: string,
  input: z.output<typeof clearReviewSchema>,
  actor: AdminActor,
): Promise<{ id: string; name: string; reviewReason: null; flaggedAt: null; cleared: boolean }> {
  const { rows } = await getPool().query<{
    id: string;
    name: string;
    previousAt: Date | null;
    previousReason: string | null;
  }>(
    `WITH previous AS (
       SELECT id, "billingReviewAt", "billingReviewReason" FROM "Organization" WHERE id = $1 FOR UPDATE
     )
     UPDATE "Organization" o
        SET "billingReviewAt" = NULL, "billingReviewReason" = NULL,
            "updatedAt" = CASE WHEN previous."billingReviewAt" IS NULL THEN o."updatedAt" ELSE (now() AT TIME ZONE 'UTC') END
       FROM previous
      WHERE o.id = previous.id
      RETURNING o.id, o.name, previous."billingReviewAt" AS "previousAt", previous."billingReviewReason" AS "previousReason"`,
    [organizationId],
  );
  const row = rows[0];
  if (!row) throw notFound("Organization");
  const cleared = row.previousAt !== null;
  if (cleared) {
    await recordAudit(actor, {
      action: "organization.clear_review",
      targetType: "organization",
      targetId: row.id,
      before: { billingReviewAt: row.previousAt, billingReviewReason: row.previousReason },
      after: { billingReviewAt: null, billingReviewReason: null },
      data: input.note ? { note: input.note } : {},
    });
  }
  return { id: row.id, name: row.name, reviewReason: null, flaggedAt: null, cleared };
}
