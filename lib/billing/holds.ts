import type { Queryable } from "@/lib/db/hot-path";
import { DB_QUERY_TIMEOUT_MS, DB_SETTLE_TIMEOUT_MS, timedQuery } from "@/lib/db/pool";
import { autoTopUpDue } from "./auto-top-up-signal";
import type { RequestLogRow } from "./request-log";
import { serializeLogRow } from "./request-log";

type Db = Queryable;

export type AdmitResult = "ok" | "insufficient_quota" | "key_spend_limit" | "member_spend_limit";

export interface HoldRequest {
  requestId: string;
  organizationId: string;
  apiKeyId: string | null;
  amountNanos: bigint;
}

export interface Settlement {
  requestId: string;
  costNanos: bigint;
  log: RequestLogRow;
  /** `log` already serialized (serializeLogRow), when the caller has it. */
  logJson?: string;
}

/** tf_admit's and tf_admit_many's answers as an AdmitResult (asking for an auto top-up on the way). */
function admitResult(organizationId: string, answer: string): AdmitResult {
  switch (answer) {
    case "ok":
      return "ok";
    case "ok_top_up":
      autoTopUpDue(organizationId); // the balance fell below the auto top-up threshold
      return "ok";
    case "key_spend_limit":
    case "member_spend_limit":
      return answer;
    default:
      return "insufficient_quota";
  }
}

/** One atomic step: balance → held, or a refusal. Never check-then-debit. */
export async function admitHold(db: Db, hold: HoldRequest): Promise<AdmitResult> {
  try {
    const { rows } = await db.query<{ result: string }>(
      timedQuery(
        "SELECT tf_admit($1, $2, $3, $4) AS result",
        [hold.requestId, hold.organizationId, hold.apiKeyId, hold.amountNanos.toString()],
        DB_QUERY_TIMEOUT_MS,
      ),
    );
    return admitResult(hold.organizationId, rows[0].result);
  } catch (err) {
    if ((err as { code?: string }).code === "TF001") return "key_spend_limit";
    if ((err as { code?: string }).code === "TF005") return "member_spend_limit";
    throw err;
  }
}

/**
 * Several admissions of one organization in one statement (tf_admit_many): the same answers as
 * admitHold called for each in order, one commit for all. See lib/billing/billing-batches.ts.
 */
export async function admitHolds(db: Db, organizationId: string, holds: HoldRequest[]): Promise<AdmitResult[]> {
  const { rows } = await db.query<{ results: string[] }>(
    timedQuery(
      "SELECT tf_admit_many($1, $2::jsonb) AS results",
      [organizationId, admitItems(holds)],
      DB_QUERY_TIMEOUT_MS,
    ),
  );
  return rows[0].results.map((answer) => admitResult(organizationId, answer));
}

function admitItems(holds: HoldRequest[]): string {
  return JSON.stringify(holds.map((h) => ({ id: h.requestId, key: h.apiKeyId, amount: h.amountNanos.toString() })));
}

/**
 * Several settlements of one organization in one statement (tf_settle_many): each as settleHold
 * would, with one update of each balance row, multi-row receipts and one commit.
 */
export async function settleHolds(
  db: Db,
  organizationId: string,
  settlements: Settlement[],
): Promise<(bigint | null)[]> {
  const { rows } = await db.query<{ charges: (string | null)[] }>(
    timedQuery(
      "SELECT tf_settle_many($1, $2::jsonb)::text[] AS charges",
      [organizationId, settleItems(settlements)],
      DB_SETTLE_TIMEOUT_MS,
    ),
  );
  return rows[0].charges.map(chargeOf);
}

function settleItems(settlements: Settlement[]): string {
  const items = settlements.map(
    (s) => `{"id":${JSON.stringify(s.requestId)},"cost":"${s.costNanos}","log":${s.logJson ?? serializeLogRow(s.log)}}`,
  );
  return `[${items.join(",")}]`;
}

const chargeOf = (charge: string | null) => (charge === null ? null : BigInt(charge));

/**
 * An organization's settlements and admissions in one statement and one commit (tf_bill_many): the
 * settlements first, so the admissions see the holds they release; then the admissions. The same
 * answers as settleHolds then admitHolds. Bounded as an admission, since callers wait on it.
 */
export async function billHolds(
  db: Db,
  organizationId: string,
  settlements: Settlement[],
  holds: HoldRequest[],
): Promise<{ charges: (bigint | null)[]; admissions: AdmitResult[] }> {
  const { rows } = await db.query<{ charges: (string | null)[]; admissions: string[] }>(
    timedQuery(
      "SELECT charges::text[], admissions FROM tf_bill_many($1, $2::jsonb, $3::jsonb)",
      [organizationId, settleItems(settlements), admitItems(holds)],
      DB_QUERY_TIMEOUT_MS,
    ),
  );
  return {
    charges: rows[0].charges.map(chargeOf),
    admissions: rows[0].admissions.map((answer) => admitResult(organizationId, answer)),
  };
}

/**
 * Charges the actual cost (in full, even above the hold: an overage), releases the rest and writes
 * the receipt, exactly once per request id. Returns the nanos charged, or null when the request was
 * already settled.
 */
export async function settleHold(
  db: Db,
  requestId: string,
  costNanos: bigint,
  log: RequestLogRow,
  logJson = serializeLogRow(log),
): Promise<bigint | null> {
  const { rows } = await db.query<{ charged: bigint | null }>(
    timedQuery(
      "SELECT tf_settle($1, $2, $3::jsonb) AS charged",
      [requestId, costNanos.toString(), logJson],
      DB_SETTLE_TIMEOUT_MS,
    ),
  );
  return rows[0].charged;
}

/**
 * Releases a hold without charging; true when this call released it. Bounded like settlement: a
 * connection that went silent must not stall the journal replaying it.
 */
export async function releaseHold(db: Db, requestId: string): Promise<boolean> {
  const { rows } = await db.query<{ released: boolean }>(
    timedQuery("SELECT tf_release($1) AS released", [requestId], DB_SETTLE_TIMEOUT_MS),
  );
  return rows[0].released;
}
