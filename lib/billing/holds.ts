import type { Queryable } from "@/lib/db/hot-path";
import { DB_QUERY_TIMEOUT_MS, DB_SETTLE_TIMEOUT_MS, timedQuery } from "@/lib/db/pool";
import { autoTopUpDue } from "./auto-top-up-signal";
import type { RequestLogRow } from "./request-log";
import { serializeLogRow } from "./request-log";

type Db = Queryable;

export type AdmitResult = "ok" | "insufficient_quota" | "key_spend_limit" | "member_spend_limit";

/** One atomic step: balance → held, or a refusal. Never check-then-debit. */
export async function admitHold(
  db: Db,
  hold: { requestId: string; organizationId: string; apiKeyId: string | null; amountNanos: bigint },
): Promise<AdmitResult> {
  try {
    const { rows } = await db.query<{ result: string }>(
      timedQuery(
        "SELECT tf_admit($1, $2, $3, $4) AS result",
        [hold.requestId, hold.organizationId, hold.apiKeyId, hold.amountNanos.toString()],
        DB_QUERY_TIMEOUT_MS,
      ),
    );
    const result = rows[0].result;
    if (result === "ok_top_up") {
      autoTopUpDue(hold.organizationId); // the balance fell below the auto top-up threshold
      return "ok";
    }
    return result === "ok" ? "ok" : "insufficient_quota";
  } catch (err) {
    if ((err as { code?: string }).code === "TF001") return "key_spend_limit";
    if ((err as { code?: string }).code === "TF005") return "member_spend_limit";
    throw err;
  }
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
): Promise<bigint | null> {
  const { rows } = await db.query<{ charged: bigint | null }>(
    timedQuery(
      "SELECT tf_settle($1, $2, $3::jsonb) AS charged",
      [requestId, costNanos.toString(), serializeLogRow(log)],
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
