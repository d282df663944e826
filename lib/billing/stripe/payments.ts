import type { Pool, PoolClient } from "pg";

// Our Payment rows as the Stripe code reads them. Every change to one happens with its row locked
// (FOR UPDATE) in the transaction that moves the money, so concurrent deliveries of one payment's
// events queue here and each sees what the previous one did.

export type PaymentKind = "CHECKOUT" | "AUTO_TOP_UP";
export type PaymentStatus = "PENDING" | "SUCCEEDED" | "FAILED" | "REFUNDED" | "EXPIRED" | "NEEDS_REVIEW";

export interface PaymentRow {
  id: string;
  organizationId: string;
  kind: PaymentKind;
  amountNanos: bigint;
  currency: string;
  status: PaymentStatus;
  stripeSessionId: string | null;
  stripePaymentIntentId: string | null;
  stripeChargeId: string | null;
  refundedNanos: bigint;
  disputedNanos: bigint;
  creditedAt: Date | null;
}

const COLUMNS = `id, "organizationId", kind, "amountNanos", currency, status, "stripeSessionId",
  "stripePaymentIntentId", "stripeChargeId", "refundedNanos", "disputedNanos", "creditedAt"`;

export async function lockPayment(client: PoolClient, paymentId: string): Promise<PaymentRow | null> {
  const { rows } = await client.query<PaymentRow>(`SELECT ${COLUMNS} FROM "Payment" WHERE id = $1 FOR UPDATE`, [
    paymentId,
  ]);
  return rows[0] ?? null;
}

/** The payment a Stripe charge belongs to, by the ids we stored when we credited it. */
export async function findPaymentOfCharge(
  db: Pool | PoolClient,
  chargeId: string,
  paymentIntentId: string | null,
): Promise<PaymentRow | null> {
  const { rows } = await db.query<PaymentRow>(
    `SELECT ${COLUMNS} FROM "Payment" WHERE "stripeChargeId" = $1 OR ("stripePaymentIntentId" = $2 AND $2 IS NOT NULL)
      LIMIT 1`,
    [chargeId, paymentIntentId],
  );
  return rows[0] ?? null;
}

export function newPaymentId(): string {
  return `top_${crypto.randomUUID().replace(/-/g, "")}`;
}
