import type pg from "pg";
import { withPooledClient } from "@/lib/db/pool";
import { logger } from "@/lib/log";

const log = logger("db");

// Table maintenance when the database does none itself. Postgres normally vacuums and analyzes busy
// tables on its own (autovacuum). With autovacuum off (some managed or hand-tuned servers; the
// embedded PGlite has no autovacuum at all) a table's statistics are never refreshed, and every
// connection keeps the plans it made while the table was nearly empty: PL/pgSQL caches a generic
// plan per statement, and only a statistics change (ANALYZE) makes it plan again. Before the batched
// billing functions priced sequential scans out (migration 20261211000000_batches_never_scan) they
// then scanned their whole tables for every batch; measured in a 10-minute soak at one organization:
// 1,100 billed requests/s in the first minute, 380/s in the sixth, back to 1,400-1,900/s the moment
// `ANALYZE "Hold"` ran. The other statements (the dashboard's reads of receipts and usage) still
// plan on statistics, and the dead rows every settlement leaves need a VACUUM to be reused. So when
// autovacuum is off, every instance runs VACUUM (ANALYZE) on
// the tables the API writes, every few minutes, one instance at a time (a session advisory lock taken
// without waiting: the others skip that round).

/** The tables every API request writes (billing, receipts, daily usage) and those it updates in place. */
export const HOT_TABLES = ["Hold", "RequestLog", "LedgerEntry", "UsageDaily", "Organization", "ApiKey", "Membership"];

// "tf-vacuu" in ASCII: the lock shared by every instance.
const MAINTENANCE_LOCK = 0x74662d7661637575n;

/**
 * Whether the server vacuums and analyzes by itself: autovacuum on, and a server that has autovacuum
 * workers at all (the embedded PGlite runs single-user and says "on" without ever running one).
 */
export async function vacuumsItself(db: pg.Pool): Promise<boolean> {
  const { rows } = await db.query<{ on: boolean }>(
    `SELECT current_setting('autovacuum') = 'on' AND version() NOT LIKE '%PGlite%' AS on`,
  );
  return rows[0].on;
}

/**
 * VACUUM (ANALYZE) of `tables` unless another instance is at it (then false). VACUUM cannot run in a
 * transaction, so the lock is a session lock on one connection, released before it goes back.
 */
export function vacuumAnalyze(db: pg.Pool, tables: string[] = HOT_TABLES): Promise<boolean> {
  return withPooledClient(async (client, discard) => {
    try {
      const { rows } = await client.query<{ mine: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS mine", [
        MAINTENANCE_LOCK.toString(),
      ]);
      if (!rows[0].mine) return false;
      try {
        // The pool's 30 s statement timeout is for requests; a first vacuum of a big table may take longer.
        await client.query("SET statement_timeout = 0");
        for (const table of tables) await client.query(`VACUUM (ANALYZE) "${table.replaceAll('"', '""')}"`);
      } finally {
        await client.query("RESET statement_timeout"); // back to the connection's own setting
        await client.query("SELECT pg_advisory_unlock($1::bigint)", [MAINTENANCE_LOCK.toString()]);
      }
      return true;
    } catch (err) {
      discard(err as Error); // the lock or the timeout may still be this session's: do not hand it back
      throw err;
    }
  }, db);
}

/**
 * Starts the periodic maintenance if the database needs it (autovacuum off); returns its stop. The
 * first round runs soon after start, when the tables of a fresh database have grown enough to matter.
 */
export function startTableMaintenance(db: () => pg.Pool, intervalMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const round = async () => {
    try {
      const started = performance.now();
      if (await vacuumAnalyze(db()))
        log.debug({ ms: Math.round(performance.now() - started) }, "vacuumed and analyzed the API's tables");
    } catch (err) {
      log.warn({ err }, "table maintenance failed; retried next round");
    }
    if (!stopped) timer = setTimeout(round, intervalMs).unref();
  };
  void vacuumsItself(db())
    .then((itself) => {
      if (itself || stopped) return;
      log.info(
        { intervalMs },
        "the database does not autovacuum: TokenFlow vacuums and analyzes the API's tables itself",
      );
      timer = setTimeout(round, Math.min(intervalMs, 30_000)).unref();
    })
    .catch((err: Error) => log.warn({ err }, "could not read the database's autovacuum setting"));
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
