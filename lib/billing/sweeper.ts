import type { Pool } from "pg";
import { withTransaction } from "@/lib/db/pool";

// One key for the hold sweep's advisory lock, the same on every instance ("tf-sweep" in ASCII).
const SWEEP_LOCK = 0x74662d7377656570n;

/**
 * Releases holds left HELD by a crashed instance. A live request never holds longer than the
 * request deadline, so anything older than `olderThanMs` is orphaned.
 *
 * Every instance runs this periodically. tf_release is guarded by the hold's state, so even
 * concurrent sweeps would release each hold exactly once, but they would scan the same rows and queue
 * on the same organizations' row locks for nothing. So a sweep first takes a transaction-scoped
 * advisory lock without waiting: while one instance sweeps, the others skip this round (returns 0).
 * The lock goes with the transaction, also when the connection or the instance dies mid-sweep.
 */
export function sweepOrphanedHolds(db: Pool, olderThanMs: number): Promise<number> {
  return withTransaction(async (client) => {
    const { rows: lock } = await client.query<{ mine: boolean }>(
      "SELECT pg_try_advisory_xact_lock($1::bigint) AS mine",
      [SWEEP_LOCK.toString()],
    );
    if (!lock[0].mine) return 0;
    const { rows } = await client.query<{ released: boolean }>(
      `SELECT tf_release(id) AS released FROM "Hold"
        WHERE state = 'HELD' AND "createdAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1::double precision / 1000)
        ORDER BY "createdAt" LIMIT 1000`,
      [olderThanMs],
    );
    return rows.filter((r) => r.released).length;
  }, db);
}

/** The states a hold ends in; the prune takes one at a time, in the order of its (state, createdAt) index. */
const RESOLVED_STATES = ["SETTLED", "RELEASED"] as const;

/**
 * Deletes settled and released holds created more than `olderThanMs` ago, `batch` rows per transaction,
 * until none is left or `budgetMs` has passed; returns how many it deleted. Open (HELD) holds are never
 * touched: they carry money still reserved. A resolved hold is only the record that lets a late
 * settlement charge a released hold once (and a replay of a settled one charge nothing); past the
 * retention a settlement finds no hold and charges nothing, and the receipt and the ledger keep the rest.
 *
 * Every instance may prune at once: each batch locks its rows with SKIP LOCKED, so concurrent prunes
 * share the work and never wait on each other, nor on a settlement that holds one of the rows (that
 * hold is left for the next round).
 */
export async function pruneResolvedHolds(
  db: Pool,
  olderThanMs: number,
  { batch = 5_000, budgetMs = 10_000 }: { batch?: number; budgetMs?: number } = {},
): Promise<number> {
  const started = performance.now();
  let deleted = 0;
  for (const state of RESOLVED_STATES) {
    for (;;) {
      const { rowCount } = await db.query(
        `DELETE FROM "Hold" WHERE id IN (
           SELECT id FROM "Hold"
            WHERE state = $1::"HoldState"
              AND "createdAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => $2::double precision / 1000)
            ORDER BY "createdAt" LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [state, olderThanMs, batch],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) break;
      if (performance.now() - started > budgetMs) return deleted;
    }
  }
  return deleted;
}
