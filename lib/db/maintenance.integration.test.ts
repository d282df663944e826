// Table maintenance against real Postgres: with autovacuum off, statistics are never refreshed, and
// every statement planned on them keeps the plan it made while the tables were empty. vacuumAnalyze
// must refresh them (one instance at a time). The batched billing functions do not depend on it: they
// run with sequential scans priced out (migration 20261211000000_batches_never_scan), so they settle a
// batch without scanning the holds table before and after the statistics change alike.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigintTypes } from "@/lib/db/pool";
import { settleHolds } from "@/lib/billing/holds";
import { createFreshDatabase } from "@/test/database";
import { receipt } from "@/test/usage-seed";
import { vacuumsItself, HOT_TABLES, vacuumAnalyze } from "./maintenance";

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let db: pg.Pool;
const ORG = "org_maint";

beforeAll(async () => {
  database = await createFreshDatabase();
  // As the server's pool: a statement timeout for requests (lib/db/pool.ts).
  db = new pg.Pool({
    connectionString: database.url,
    max: 4,
    types: bigintTypes,
    options: "-c statement_timeout=30000",
  });
  await db.query(
    `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt", "balanceNanos") VALUES ($1, $1, now(), now(), 1000000000000)`,
    [ORG],
  );
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

/** Admits and settles one batch of 5 on `client`; returns the sequential scans of "Hold" it made. */
async function settleBatch(client: pg.PoolClient, tag: string): Promise<number> {
  const ids = Array.from({ length: 5 }, (_, i) => `${tag}_${i}`);
  await client.query(`SELECT tf_admit_many($1, $2::jsonb)`, [
    ORG,
    JSON.stringify(ids.map((id) => ({ id, key: null, amount: "1000" }))),
  ]);
  await client.query("BEGIN");
  const scans = async () =>
    Number((await client.query(`SELECT pg_stat_get_xact_numscans('"Hold"'::regclass) AS n`)).rows[0].n);
  const before = await scans();
  const charged = await settleHolds(
    client,
    ORG,
    ids.map((id) => ({ requestId: id, costNanos: 500n, log: receipt({ id, organizationId: ORG }) })),
  );
  const after = await scans();
  await client.query("COMMIT");
  expect(charged).toEqual(ids.map(() => 500n));
  return after - before;
}

describe("table maintenance", () => {
  it("knows whether the database vacuums by itself (its autovacuum setting; never PGlite)", async () => {
    const { rows } = await db.query<{ autovacuum: string; version: string }>(
      "SELECT current_setting('autovacuum') AS autovacuum, version()",
    );
    expect(await vacuumsItself(db)).toBe(rows[0].autovacuum === "on" && !rows[0].version.includes("PGlite"));
  });

  it("vacuums and analyzes every hot table; batches never scan, before or after", async () => {
    const client = await db.connect();
    try {
      // Plans made (and cached by PL/pgSQL after five calls) while "Hold" is nearly empty.
      for (let i = 0; i < 8; i++) await settleBatch(client, `early${i}`);
      await db.query(
        `INSERT INTO "Hold" (id, "organizationId", "amountNanos", state, "chargedNanos", "createdAt", "resolvedAt")
         SELECT 'old_' || n, $1, 100, 'SETTLED', 100, now(), now() FROM generate_series(1, 30000) n`,
        [ORG],
      );
      // The plans cached on the nearly empty table would scan the whole of it (twice per batch on
      // PostgreSQL 15) were sequential scans not priced out of the batch functions.
      expect(await settleBatch(client, "before")).toBe(0);

      expect(await vacuumAnalyze(db)).toBe(true);
      const { rows } = await db.query<{ relname: string; vacuumed: boolean; analyzed: boolean }>(
        `SELECT relname, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
           FROM pg_stat_user_tables WHERE relname = ANY($1) ORDER BY relname`,
        [HOT_TABLES],
      );
      expect(rows).toEqual([...HOT_TABLES].sort().map((relname) => ({ relname, vacuumed: true, analyzed: true })));
      const { rows: size } = await db.query<{ reltuples: number }>(
        `SELECT reltuples FROM pg_class WHERE relname = 'Hold'`,
      );
      expect(size[0].reltuples).toBeGreaterThan(29_000);

      // The same connection, after the statistics changed (its plans are made again): still no scan.
      expect(await settleBatch(client, "after")).toBe(0);
    } finally {
      client.release();
    }
  });

  it("gives its connection back with the pool's statement timeout", async () => {
    const timeout = async () =>
      (await db.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0].t;
    const before = await timeout();
    expect(before).toBe("30s");
    expect(await vacuumAnalyze(db, ["Hold"])).toBe(true);
    const clients = await Promise.all(Array.from({ length: 4 }, () => db.connect())); // every pooled connection
    try {
      for (const c of clients)
        expect((await c.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0].t).toBe(
          before,
        );
    } finally {
      for (const c of clients) c.release();
    }
  });

  it("one instance at a time: a round finds the lock taken and skips", async () => {
    const other = await db.connect();
    try {
      await other.query("SELECT pg_advisory_lock($1::bigint)", [0x74662d7661637575n.toString()]);
      expect(await vacuumAnalyze(db)).toBe(false);
      await other.query("SELECT pg_advisory_unlock($1::bigint)", [0x74662d7661637575n.toString()]);
      expect(await vacuumAnalyze(db)).toBe(true);
    } finally {
      other.release();
    }
  });
});
