import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";

export type CreditKind =
  "TOPUP" | "ADJUSTMENT" | "REFUND" | "REDEMPTION" | "SIGNUP_CREDIT" | "DISPUTE" | "DISPUTE_REVERSAL";

export class BalanceTooLowError extends Error {
  constructor() {
    super("The balance cannot go below zero");
  }
}
/**
 * The most an organization may hold (balance + held): $1,000,000,000 (1e18 nano-USD), about a ninth
 * of BIGINT, so no sum the billing functions form can overflow. tf_credit refuses a credit beyond it
 * (TF004); the number is repeated there (migration 20261201000000_credit_balance_cap).
 */
export const MAX_BALANCE_NANOS = 1_000_000_000_000_000_000n;

export class BalanceTooHighError extends Error {
  constructor() {
    super("The balance cannot exceed its maximum");
  }
}
export class OrganizationNotFoundError extends Error {
  constructor() {
    super("Organization not found");
  }
}

/**
 * Adds (or, negative, removes) funds with its ledger entry in one step. Idempotent by
 * (kind, reference): a replay returns the current balance and changes nothing. Throws
 * BalanceTooLowError below zero and BalanceTooHighError above MAX_BALANCE_NANOS.
 */
export async function creditOrganization(
  db: Pool | PoolClient,
  credit: {
    organizationId: string;
    amountNanos: bigint;
    kind: CreditKind;
    reference?: string;
    note?: string | null;
    actorUserId?: string | null;
  },
): Promise<bigint> {
  try {
    const { rows } = await db.query<{ balance: bigint }>("SELECT tf_credit($1, $2, $3, $4, $5, $6) AS balance", [
      credit.organizationId,
      credit.amountNanos.toString(),
      credit.kind,
      credit.reference ?? randomUUID(),
      credit.note ?? null,
      credit.actorUserId ?? null,
    ]);
    return rows[0].balance;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "TF002") throw new BalanceTooLowError();
    if (code === "TF003") throw new OrganizationNotFoundError();
    if (code === "TF004") throw new BalanceTooHighError();
    throw err;
  }
}
