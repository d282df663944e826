import type { Pool } from "pg";

/**
 * Releases holds left HELD by a crashed instance. A live request never holds longer than the
 * request deadline, so anything older than `olderThanMs` is orphaned. tf_release is guarded by the
 * hold's state, so concurrent sweepers (one per instance) release each hold exactly once.
 */
export async function sweepOrphanedHolds(db: Pool, olderThanMs: number): Promise<number> {
  const { rows } = await db.query<{ released: boolean }>(
    `SELECT tf_release(id) AS released FROM "Hold"
      WHERE state = 'HELD' AND "createdAt" < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1::double precision / 1000)
      ORDER BY "createdAt" LIMIT 1000`,
    [olderThanMs],
  );
  return rows.filter((r) => r.released).length;
}
