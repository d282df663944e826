import { getPool } from "@/lib/db/pool";
import { requireRole, roleAtLeast, type OrgActor } from "@/lib/organizations/access";
import type { MembershipRole } from "@/lib/tenancy/context";

// What the billing page shows: the balance, the payments, and a statement of the ledger that
// reconciles to the balance (Σ ledger = balance + held, DESIGN §3). Usage is one entry per request
// in the ledger; the statement sums it per UTC day, and lists every other entry (top-ups, refunds,
// disputes, adjustments, codes) on its own. Members see the balance only.

export type StatementKind =
  | "TOPUP"
  | "USAGE"
  | "ADJUSTMENT"
  | "REFUND"
  | "REDEMPTION"
  | "SIGNUP_CREDIT"
  | "DISPUTE"
  | "DISPUTE_REVERSAL"
  | "EARLIER";

export interface StatementLine {
  key: string;
  kind: StatementKind;
  date: Date;
  description: string;
  amountNanos: bigint;
}

export interface PaymentLine {
  id: string;
  kind: "CHECKOUT" | "AUTO_TOP_UP";
  amountNanos: bigint;
  status: "PENDING" | "SUCCEEDED" | "FAILED" | "REFUNDED" | "EXPIRED" | "NEEDS_REVIEW";
  refundedNanos: bigint;
  disputedNanos: bigint;
  receiptUrl: string | null;
  failureReason: string | null;
  createdAt: Date;
}

export interface BillingView {
  role: MembershipRole;
  name: string;
  balanceNanos: bigint;
  heldNanos: bigint;
  underReview: boolean;
  /** Null for members: they see the balance only. */
  details: {
    payments: PaymentLine[];
    statement: StatementLine[];
    ledgerTotalNanos: bigint;
  } | null;
}

const STATEMENT_LINES = 100;
const PAYMENT_LINES = 50;

const DESCRIPTIONS: Record<Exclude<StatementKind, "USAGE" | "EARLIER">, string> = {
  TOPUP: "Top-up",
  ADJUSTMENT: "Adjustment",
  REFUND: "Refund",
  REDEMPTION: "Credit code redeemed",
  SIGNUP_CREDIT: "Starting credit",
  DISPUTE: "Dispute opened",
  DISPUTE_REVERSAL: "Dispute won",
};

export async function getBillingView(actor: OrgActor): Promise<BillingView> {
  const role = await requireRole(actor, "MEMBER");
  const pool = getPool();
  const { rows: orgs } = await pool.query<{
    name: string;
    balanceNanos: bigint;
    heldNanos: bigint;
    billingReviewAt: Date | null;
  }>(`SELECT name, "balanceNanos", "heldNanos", "billingReviewAt" FROM "Organization" WHERE id = $1`, [
    actor.organizationId,
  ]);
  const org = orgs[0];
  const view: BillingView = {
    role,
    name: org.name,
    balanceNanos: org.balanceNanos,
    heldNanos: org.heldNanos,
    underReview: org.billingReviewAt !== null,
    details: null,
  };
  if (!roleAtLeast(role, "ADMIN")) return view;

  const [payments, days, entries] = await Promise.all([
    pool.query<PaymentLine>(
      `SELECT id, kind, "amountNanos", status, "refundedNanos", "disputedNanos", "receiptUrl", "failureReason", "createdAt"
         FROM "Payment" WHERE "organizationId" = $1 AND ("stripeSessionId" IS NOT NULL OR kind = 'AUTO_TOP_UP')
        ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
      [actor.organizationId, PAYMENT_LINES],
    ),
    // Every entry, summed per day and kind: the usage lines, and the total the statement reconciles.
    pool.query<{ day: Date; kind: StatementKind; entries: number; amountNanos: bigint }>(
      `SELECT date_trunc('day', "createdAt") AS day, kind, count(*)::int AS entries, sum("amountNanos")::bigint AS "amountNanos"
         FROM "LedgerEntry" WHERE "organizationId" = $1 GROUP BY 1, 2`,
      [actor.organizationId],
    ),
    pool.query<{ id: string; kind: StatementKind; amountNanos: bigint; note: string | null; createdAt: Date }>(
      `SELECT id, kind, "amountNanos", note, "createdAt" FROM "LedgerEntry"
        WHERE "organizationId" = $1 AND kind <> 'USAGE' ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
      [actor.organizationId, STATEMENT_LINES],
    ),
  ]);

  const ledgerTotalNanos = days.rows.reduce((sum, row) => sum + row.amountNanos, 0n);
  const lines: StatementLine[] = [
    ...days.rows
      .filter((row) => row.kind === "USAGE")
      .map((row) => ({
        key: `usage-${row.day.toISOString()}`,
        kind: "USAGE" as const,
        date: row.day,
        description: `Usage (${row.entries.toLocaleString("en-US")} request${row.entries === 1 ? "" : "s"})`,
        amountNanos: row.amountNanos,
      })),
    ...entries.rows.map((row) => ({
      key: row.id,
      kind: row.kind,
      date: row.createdAt,
      description: row.note
        ? `${DESCRIPTIONS[row.kind as keyof typeof DESCRIPTIONS]}: ${row.note}`
        : DESCRIPTIONS[row.kind as keyof typeof DESCRIPTIONS],
      amountNanos: row.amountNanos,
    })),
  ].sort((a, b) => b.date.getTime() - a.date.getTime());
  const statement = lines.slice(0, STATEMENT_LINES);
  const shown = statement.reduce((sum, line) => sum + line.amountNanos, 0n);
  if (lines.length > STATEMENT_LINES || shown !== ledgerTotalNanos) {
    statement.push({
      key: "earlier",
      kind: "EARLIER",
      date: statement.at(-1)?.date ?? new Date(0),
      description: "Earlier entries",
      amountNanos: ledgerTotalNanos - shown,
    });
  }
  return { ...view, details: { payments: payments.rows, statement, ledgerTotalNanos } };
}
