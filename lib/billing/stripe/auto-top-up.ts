import type pg from "pg";
import Stripe from "stripe";
import { z } from "zod";
import { ApiError, validationError } from "@/lib/api/errors";
import { getPool, withTransaction } from "@/lib/db/pool";
import { requireRole, type OrgActor } from "@/lib/organizations/access";
import { getPlatformSettings } from "@/lib/settings/platform";
import { nanosToUsd } from "@/lib/billing/money";
import { nanosToCents, parseUsdCents, usdAmountSchema } from "./amounts";
import { isTopUpConfigured, stripeClient, TOP_UP_CURRENCY } from "./config";
import { fulfillPaymentIntent, markPaymentFailed } from "./fulfill";
import { newPaymentId } from "./payments";
import { notConfigured } from "./checkout";
import { logger } from "@/lib/log";

const log = logger("stripe");

// Auto top-up: when an admission leaves an organization's balance below its threshold (tf_admit
// answers 'ok_top_up'), one off-session PaymentIntent for the configured amount is created on the
// saved card. The database decides whether one may start: the claim is an INSERT of a PENDING
// AUTO_TOP_UP payment that a partial unique index refuses while another is in flight, and that
// counts today's auto top-ups against the organization's daily maximum. A success is credited by
// the one fulfilment path; a decline turns auto top-up off and emails the owners.
//
// The claim locks the organization's row (FOR NO KEY UPDATE, which admissions' key-share checks do
// not wait on). Without it a claim that read the balance and then stalled could insert after another
// top-up had been credited and left PENDING, so the index no longer refused it: a second charge.
// With it, a claim that meets a newer row re-checks its conditions (balance, enabled) on that row.

export const MAX_AUTO_TOP_UPS_PER_DAY = 20;

export const autoTopUpRequestSchema = z.strictObject({
  organizationId: z.string().min(1).max(100),
  enabled: z.boolean(),
  thresholdUsd: z.string().max(20),
  amountUsd: z.string().max(20),
  maxPerDay: z.number().int().min(1).max(MAX_AUTO_TOP_UPS_PER_DAY),
});

export interface AutoTopUpSettings {
  enabled: boolean;
  thresholdUsd: string | null;
  amountUsd: string | null;
  maxPerDay: number;
  card: string | null;
}

export async function getAutoTopUpSettings(organizationId: string): Promise<AutoTopUpSettings> {
  const { rows } = await getPool().query<{
    autoTopUpEnabled: boolean;
    autoTopUpThresholdNanos: bigint | null;
    autoTopUpAmountNanos: bigint | null;
    autoTopUpMaxPerDay: number;
    paymentMethodLabel: string | null;
    stripePaymentMethodId: string | null;
  }>(
    `SELECT "autoTopUpEnabled", "autoTopUpThresholdNanos", "autoTopUpAmountNanos", "autoTopUpMaxPerDay",
            "paymentMethodLabel", "stripePaymentMethodId"
       FROM "Organization" WHERE id = $1`,
    [organizationId],
  );
  const row = rows[0];
  if (!row) throw new ApiError("not_found", "Organization not found.");
  return {
    enabled: row.autoTopUpEnabled,
    thresholdUsd: row.autoTopUpThresholdNanos === null ? null : nanosToUsd(row.autoTopUpThresholdNanos),
    amountUsd: row.autoTopUpAmountNanos === null ? null : nanosToUsd(row.autoTopUpAmountNanos),
    maxPerDay: row.autoTopUpMaxPerDay,
    card: row.stripePaymentMethodId ? (row.paymentMethodLabel ?? "Saved card") : null,
  };
}

/** PUT /api/billing/auto-top-up and the billing page's form: owners only. */
export async function updateAutoTopUp(
  actor: OrgActor,
  input: z.output<typeof autoTopUpRequestSchema>,
): Promise<AutoTopUpSettings> {
  await requireRole(actor, "OWNER");
  const limits = await getPlatformSettings();
  const amount = usdAmountSchema({ minNanos: limits.topUpMinNanos, maxNanos: limits.topUpMaxNanos }).safeParse(
    input.amountUsd,
  );
  if (!amount.success) throw validationError(amount.error.issues.map((i) => ({ ...i, path: ["amountUsd"] })));
  const threshold = parseUsdCents(input.thresholdUsd);
  if (threshold === null || threshold > limits.topUpMaxNanos) {
    throw new ApiError(
      "validation_error",
      `thresholdUsd: must be a USD amount from 0 to ${nanosToUsd(limits.topUpMaxNanos)}`,
      {
        field: "thresholdUsd",
      },
    );
  }
  if (input.enabled) {
    if (!isTopUpConfigured()) throw notConfigured();
    const current = await getAutoTopUpSettings(actor.organizationId);
    if (!current.card) throw new ApiError("conflict", "Save a card first: auto top-up charges the saved card.");
  }
  await getPool().query(
    `UPDATE "Organization" SET "autoTopUpEnabled" = $2, "autoTopUpThresholdNanos" = $3, "autoTopUpAmountNanos" = $4,
            "autoTopUpMaxPerDay" = $5, "updatedAt" = (now() AT TIME ZONE 'UTC')
      WHERE id = $1`,
    [actor.organizationId, input.enabled, threshold.toString(), amount.data.toString(), input.maxPerDay],
  );
  return getAutoTopUpSettings(actor.organizationId);
}

export type AutoTopUpOutcome = "not_due" | "credited" | "pending" | "failed" | "error";

/**
 * Starts one auto top-up for the organization if it is due and none is in flight; resolves when
 * Stripe answered. Safe to call from any number of requests and instances at once.
 */
export async function runAutoTopUp(organizationId: string): Promise<AutoTopUpOutcome> {
  if (!isTopUpConfigured()) return "not_due";
  const paymentId = newPaymentId();
  const claim = await withTransaction((client) => claimAutoTopUp(client, organizationId, paymentId));
  if (!claim) return "not_due";
  return chargeSavedCard({ id: paymentId, organizationId, ...claim });
}

/**
 * The claim: a PENDING payment, inserted only while the organization is below its threshold, has
 * none in flight (a partial unique index) and is under its daily maximum. First it takes the
 * organization's row (FOR NO KEY UPDATE, which admissions' foreign-key checks do not wait on), so
 * claims and credits take turns; then it decides in a statement of its own, whose snapshot sees
 * everything committed before it got the row. Deciding in the locking statement itself would not
 * do: a statement that waited on a row re-checks that row's newer version, but its subquery (today's
 * payments) still reads the snapshot from before the wait, and would miss a top-up completed meanwhile.
 */
async function claimAutoTopUp(client: pg.PoolClient, organizationId: string, paymentId: string) {
  const due = `o."autoTopUpEnabled" AND o."balanceNanos" < o."autoTopUpThresholdNanos"`;
  const locked = await client.query(`SELECT 1 FROM "Organization" o WHERE o.id = $1 AND ${due} FOR NO KEY UPDATE`, [
    organizationId,
  ]);
  if (locked.rowCount === 0) return undefined;
  const { rows } = await client.query<{ amountNanos: bigint; stripeCustomerId: string; stripePaymentMethodId: string }>(
    `INSERT INTO "Payment" (id, "organizationId", kind, "amountNanos", currency, status, "createdAt", "updatedAt")
     SELECT $1, o.id, 'AUTO_TOP_UP', o."autoTopUpAmountNanos", $3, 'PENDING', (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
       FROM "Organization" o
      WHERE o.id = $2 AND ${due} AND o."autoTopUpAmountNanos" IS NOT NULL
        AND o."stripeCustomerId" IS NOT NULL AND o."stripePaymentMethodId" IS NOT NULL
        AND o."disabledAt" IS NULL AND o."deletedAt" IS NULL
        AND (SELECT count(*) FROM "Payment" p
              WHERE p."organizationId" = o.id AND p.kind = 'AUTO_TOP_UP'
                AND p."createdAt" >= date_trunc('day', now() AT TIME ZONE 'UTC')) < o."autoTopUpMaxPerDay"
     ON CONFLICT DO NOTHING
     RETURNING "amountNanos",
               (SELECT "stripeCustomerId" FROM "Organization" WHERE id = $2) AS "stripeCustomerId",
               (SELECT "stripePaymentMethodId" FROM "Organization" WHERE id = $2) AS "stripePaymentMethodId"`,
    [paymentId, organizationId, TOP_UP_CURRENCY],
  );
  return rows[0];
}

async function chargeSavedCard(payment: {
  id: string;
  organizationId: string;
  amountNanos: bigint;
  stripeCustomerId: string;
  stripePaymentMethodId: string;
}): Promise<AutoTopUpOutcome> {
  const metadata = { tokenflow_payment_id: payment.id, organization_id: payment.organizationId, auto_top_up: "true" };
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripeClient().paymentIntents.create(
      {
        amount: nanosToCents(payment.amountNanos),
        currency: TOP_UP_CURRENCY,
        customer: payment.stripeCustomerId,
        payment_method: payment.stripePaymentMethodId,
        off_session: true,
        confirm: true,
        description: "TokenFlow auto top-up",
        metadata,
      },
      { idempotencyKey: `tokenflow-auto-top-up-${payment.id}` },
    );
  } catch (err) {
    if (err instanceof Stripe.errors.StripeCardError || (err as { type?: string }).type === "StripeCardError") {
      const card = err as Stripe.errors.StripeCardError;
      const intentId = card.payment_intent?.id ?? null;
      await withTransaction((client) =>
        markPaymentFailed(
          client,
          { ...payment, kind: "AUTO_TOP_UP" },
          card.message || "The card was declined.",
          intentId,
        ),
      );
      return "failed";
    }
    // Stripe unreachable or erring: the payment stays PENDING and the auto top-up loop retries it
    // with the same idempotency key, so Stripe never charges twice for it.
    log.error({ err, paymentId: payment.id }, "auto top-up could not reach Stripe");
    return "error";
  }
  await getPool().query(
    `UPDATE "Payment" SET "stripePaymentIntentId" = $2, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
    [payment.id, intent.id],
  );
  if (intent.status === "requires_action" || intent.status === "requires_payment_method") {
    // Off-session, nobody can authenticate the payment: it is a decline for us.
    await withTransaction((client) =>
      markPaymentFailed(
        client,
        { ...payment, kind: "AUTO_TOP_UP" },
        intent.last_payment_error?.message ??
          "The bank asked for authentication, which an automatic payment cannot give.",
        intent.id,
      ),
    );
    return "failed";
  }
  const result = await fulfillPaymentIntent(intent.id);
  return result === "credited" || result === "already_credited"
    ? "credited"
    : result === "failed"
      ? "failed"
      : "pending";
}

/**
 * Auto top-ups left PENDING (Stripe was unreachable, or the process stopped between the claim and
 * Stripe's answer): retried with the same idempotency key, or fulfilled from Stripe's state. After a
 * day they are failed, which also turns auto top-up off and tells the owners.
 */
export async function retryStuckAutoTopUps(olderThanMs = 60_000): Promise<number> {
  const { rows } = await getPool().query<{
    id: string;
    organizationId: string;
    amountNanos: bigint;
    stripePaymentIntentId: string | null;
    stripeCustomerId: string | null;
    stripePaymentMethodId: string | null;
    stale: boolean;
  }>(
    `SELECT p.id, p."organizationId", p."amountNanos", p."stripePaymentIntentId", o."stripeCustomerId", o."stripePaymentMethodId",
            p."createdAt" < (now() AT TIME ZONE 'UTC') - interval '23 hours' AS stale
       FROM "Payment" p JOIN "Organization" o ON o.id = p."organizationId"
      WHERE p.kind = 'AUTO_TOP_UP' AND p.status = 'PENDING'
        AND p."updatedAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1 / 1000.0)
      ORDER BY p."createdAt" LIMIT 50`,
    [olderThanMs],
  );
  for (const row of rows) {
    try {
      if (row.stripePaymentIntentId) await fulfillPaymentIntent(row.stripePaymentIntentId);
      else if (row.stale || !row.stripeCustomerId || !row.stripePaymentMethodId) {
        await withTransaction((client) =>
          markPaymentFailed(
            client,
            { ...row, kind: "AUTO_TOP_UP" },
            "Stripe could not be reached to charge the card.",
            null,
          ),
        );
      } else {
        await chargeSavedCard({
          id: row.id,
          organizationId: row.organizationId,
          amountNanos: row.amountNanos,
          stripeCustomerId: row.stripeCustomerId,
          stripePaymentMethodId: row.stripePaymentMethodId,
        });
      }
      await getPool().query(`UPDATE "Payment" SET "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`, [row.id]);
    } catch (err) {
      log.error({ err, paymentId: row.id }, "retrying an auto top-up failed");
    }
  }
  return rows.length;
}
