import type { PoolClient } from "pg";
import type Stripe from "stripe";
import { creditOrganization } from "@/lib/billing/credits";
import { withTransaction } from "@/lib/db/pool";
import { formatUsd } from "@/lib/format";
import { centsToNanos } from "../amounts";
import { recordStripeEvent, type StripeEventRef } from "../event-log";
import { lockPayment, type PaymentRow } from "../payments";
import { paymentOfCharge } from "./payment-of-charge";

// Disputes (chargebacks). charge.dispute.created debits the disputed amount once (ledger kind
// DISPUTE, reference = the dispute id) and flags the organization for an admin; charge.dispute.closed
// with status "won" credits it back once (DISPUTE_REVERSAL, same reference). A "closed" that
// overtakes its "created" applies the debit too, so the late "created" finds it done: in any order
// the organization ends with −amount (lost) or ±0 (won).
// https://docs.stripe.com/disputes/how-disputes-work

export async function handleDispute(dispute: Stripe.Dispute, event: StripeEventRef): Promise<string> {
  const chargeId = typeof dispute.charge === "string" ? dispute.charge : dispute.charge.id;
  const found = await paymentOfCharge(chargeId, dispute.payment_intent, event);
  if (typeof found === "string") return found;
  return withTransaction(async (client) => {
    const payment = await lockPayment(client, found.id);
    if (!payment?.creditedAt) return recordStripeEvent(client, event, "not_credited");
    const disputedNanos = centsToNanos(dispute.amount);
    const amount = disputedNanos > payment.amountNanos ? payment.amountNanos : disputedNanos;
    const debited = await debitDispute(client, payment, dispute, amount);
    const won =
      event.type === "charge.dispute.closed" && (dispute.status === "won" || dispute.status === "warning_closed");
    if (!won) return recordStripeEvent(client, event, debited ? "dispute_debited" : "dispute_already_debited");
    if (await hasEntry(client, "DISPUTE_REVERSAL", dispute.id))
      return recordStripeEvent(client, event, "dispute_already_reversed");
    await creditOrganization(client, {
      organizationId: payment.organizationId,
      amountNanos: amount,
      kind: "DISPUTE_REVERSAL",
      reference: dispute.id,
      note: `Dispute ${dispute.id} won: ${formatUsd(amount)} returned`,
    });
    await client.query(
      `UPDATE "Payment" SET "disputedNanos" = 0, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
      [payment.id],
    );
    return recordStripeEvent(client, event, "dispute_reversed");
  });
}

async function debitDispute(
  client: PoolClient,
  payment: PaymentRow,
  dispute: Stripe.Dispute,
  amount: bigint,
): Promise<boolean> {
  if (await hasEntry(client, "DISPUTE", dispute.id)) return false;
  await creditOrganization(client, {
    organizationId: payment.organizationId,
    amountNanos: -amount,
    kind: "DISPUTE",
    reference: dispute.id,
    note: `Dispute ${dispute.id} opened on a ${formatUsd(payment.amountNanos)} payment (${dispute.reason})`,
  });
  await client.query(
    `UPDATE "Payment" SET "disputedNanos" = $2, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
    [payment.id, amount.toString()],
  );
  await client.query(
    `UPDATE "Organization" SET "billingReviewAt" = (now() AT TIME ZONE 'UTC'), "billingReviewReason" = $2,
            "updatedAt" = (now() AT TIME ZONE 'UTC')
      WHERE id = $1`,
    [payment.organizationId, `Dispute ${dispute.id} (${dispute.reason}) on payment ${payment.id}`],
  );
  return true;
}

async function hasEntry(client: PoolClient, kind: string, reference: string): Promise<boolean> {
  const { rows } = await client.query(`SELECT 1 FROM "LedgerEntry" WHERE kind = $1::"LedgerKind" AND reference = $2`, [
    kind,
    reference,
  ]);
  return rows.length > 0;
}
