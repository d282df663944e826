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
