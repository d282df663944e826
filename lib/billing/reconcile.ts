import type { Pool } from "pg";

export interface LedgerMismatch {
  organizationId: string;
  balanceNanos: bigint;
  heldNanos: bigint;
  ledgerSumNanos: bigint;
  openHoldsNanos: bigint;
}

/**
 * Every organization must satisfy balance + held = Σ ledger, and held = Σ open holds.
 * Returns the organizations that do not (empty when the books balance). A negative balance is not
 * a mismatch: an overage (an upstream billing past the cap), a late settlement or a refund can
 * legitimately take it there, and admission refuses the organization until it is topped up.
 */
export async function findLedgerMismatches(db: Pool): Promise<LedgerMismatch[]> {
  const { rows } = await db.query<LedgerMismatch>(`
    SELECT o.id AS "organizationId", o."balanceNanos", o."heldNanos",
           COALESCE(l.total, 0)::BIGINT AS "ledgerSumNanos", COALESCE(h.total, 0)::BIGINT AS "openHoldsNanos"
      FROM "Organization" o
      LEFT JOIN (SELECT "organizationId", SUM("amountNanos") AS total FROM "LedgerEntry" GROUP BY 1) l ON l."organizationId" = o.id
      LEFT JOIN (SELECT "organizationId", SUM("amountNanos") AS total FROM "Hold" WHERE state = 'HELD' GROUP BY 1) h ON h."organizationId" = o.id
     WHERE o."balanceNanos" + o."heldNanos" <> COALESCE(l.total, 0)
        OR o."heldNanos" <> COALESCE(h.total, 0)`);
  return rows;
}
