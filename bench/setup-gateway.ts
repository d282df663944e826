// Database helper for bench/gateway.sh (real local Postgres only).
//   npx tsx bench/setup-gateway.ts create          -> fresh migrated+seeded database; prints shell env lines
//   npx tsx bench/setup-gateway.ts check <url>     -> receipts by status, open holds, ledger reconciliation (JSON)
//   npx tsx bench/setup-gateway.ts stats <url>     -> transaction/tuple counters of the database and WAL position (JSON)
//   npx tsx bench/setup-gateway.ts drop <name>     -> terminates its connections and drops it
// The admin URL is BENCH_PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres); non-local hosts
// are refused by test/database.ts.
import pg from "pg";
import { findLedgerMismatches } from "../lib/billing/reconcile";
import { bigintTypes } from "../lib/db/pool";
import { assertLocalDatabaseUrl, createFreshDatabaseAt, dropDatabase, isPGlite } from "../test/database";

const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const [command = "create", arg] = process.argv.slice(2);

async function create() {
  assertLocalDatabaseUrl(adminUrl, "BENCH_PG_ADMIN_URL");
  // A PGlite "server" would live only as long as this process: the benchmark needs a real Postgres.
  if (await isPGlite(adminUrl)) throw new Error(`${adminUrl} is PGlite; the gateway benchmark needs a real Postgres`);
  const db = await createFreshDatabaseAt(adminUrl, { seed: true, namePrefix: "tf_bench_gw_" });
  // Shell-safe: the URL and name contain only [A-Za-z0-9:/@._-].
  console.log(`BENCH_DB_URL='${db.url}'`);
  console.log(`BENCH_DB_NAME='${db.name}'`);
}

async function check(url: string) {
  assertLocalDatabaseUrl(url, "the benchmark database URL");
  const pool = new pg.Pool({ connectionString: url, max: 1, types: bigintTypes });
  try {
    const q = async (sql: string) => (await pool.query(sql)).rows;
    const receipts = await q(
      `SELECT status, "isStream" AS stream, coalesce("errorCode", '') AS error, "usageSource" AS usage, count(*)::int AS n
         FROM "RequestLog" GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC`,
    );
    const holds = await q(`SELECT state, count(*)::int AS n FROM "Hold" GROUP BY 1 ORDER BY 1`);
    const orgs = await q(
      `SELECT name, "balanceNanos"::text AS balance, "heldNanos"::text AS held FROM "Organization" WHERE name = 'bench'`,
    );
    const mismatches = await findLedgerMismatches(pool);
    console.log(
      JSON.stringify({ receipts, holds, org: orgs[0] ?? null, ledgerMismatches: mismatches.length }, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    );
  } finally {
    await pool.end();
  }
}

/** Counters of this database (and the cluster's WAL position), to turn into per-request deltas. */
async function stats(url: string) {
  assertLocalDatabaseUrl(url, "the benchmark database URL");
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await new Promise((r) => setTimeout(r, 1100)); // backends flush their statistics at most once a second
    const { rows } = await pool.query(
      `SELECT xact_commit::bigint AS xact_commit, xact_rollback::bigint AS xact_rollback, tup_inserted::bigint AS tup_inserted,
              tup_updated::bigint AS tup_updated, tup_deleted::bigint AS tup_deleted, tup_fetched::bigint AS tup_fetched,
              tup_returned::bigint AS tup_returned,
              (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS wal_bytes,
              (SELECT count(*) FROM "RequestLog")::bigint AS receipts
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    // Per table: rows read by sequential scans and by index scans, to say which table a scan-heavy run read.
    const { rows: tables } = await pool.query(
      `SELECT relname, coalesce(seq_tup_read, 0)::bigint AS seq, coalesce(idx_tup_fetch, 0)::bigint AS idx
         FROM pg_stat_user_tables`,
    );
    const counters = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
    const perTable = Object.fromEntries(tables.map((t) => [t.relname, { seq: Number(t.seq), idx: Number(t.idx) }]));
    console.log(JSON.stringify({ ...counters, tables: perTable }));
  } finally {
    await pool.end();
  }
}

async function main() {
  if (command === "create") return create();
  if (command === "stats" && arg) return stats(arg);
  if (command === "check" && arg) return check(arg);
  if (command === "drop" && arg) {
    if (!/^tf_bench_gw_[0-9a-f]+$/.test(arg)) throw new Error(`refusing to drop "${arg}": not a benchmark database`);
    return dropDatabase(adminUrl, arg);
  }
  throw new Error("usage: setup-gateway.ts create | check <url> | stats <url> | drop <tf_bench_gw_…>");
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
