// `npm run seed:receipts`: one organization with 1,000,000 receipts (default) over the last 90 days,
// ~10 models and 20 keys of two members, for measuring the usage pages at scale (bench/dashboard-pages.ts).
// Everything is consistent as settlement would have left it: each charged receipt has its USAGE
// ledger entry, the daily rollup is the receipts' sum, and balance + held = Σ ledger (a top-up
// covers the charges). Written with INSERT … SELECT generate_series, in batches, in about a minute.
//   DATABASE_URL=postgres://… npm run seed:receipts -- [--receipts 1000000] [--org org_bench] [--days 90]
import { parseArgs } from "node:util";
import pg from "pg";
import { applyMigrations } from "../lib/db/migrate";
import { bigintTypes, SESSION_OPTIONS } from "../lib/db/pool";

const { values } = parseArgs({
  options: {
    receipts: { type: "string", default: "1000000" },
    org: { type: "string", default: "org_bench" },
    days: { type: "string", default: "90" },
    batch: { type: "string", default: "100000" },
  },
});
const total = Number(values.receipts);
const orgId = values.org!;
const days = Number(values.days);
const batch = Number(values.batch);
const KEYS = 20;
const MODELS = 10;

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  await applyMigrations(url);
  const db = new pg.Client({ connectionString: url, types: bigintTypes, options: SESSION_OPTIONS });
  await db.connect();
  const started = performance.now();
  const step = (what: string) =>
    console.log(`[seed:receipts] ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  try {
    const exists = await db.query(`SELECT 1 FROM "Organization" WHERE id = $1`, [orgId]);
    if (exists.rowCount)
      throw new Error(`organization ${orgId} exists already: pick another --org or use a fresh database`);
    await db.query(
      `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ($1, 'Bench workspace', now(), now())`,
      [orgId],
    );
    // Two members own the keys (the member filter), on top of whatever users exist.
    for (const [i, role] of (["OWNER", "MEMBER"] as const).entries()) {
      const userId = `${orgId}_user${i}`;
      await db.query(
        `INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1 || '@bench.example', now()) ON CONFLICT DO NOTHING`,
        [userId],
      );
      await db.query(
        `INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt") VALUES ($1 || '_m', $1, $2, $3, now())`,
        [userId, orgId, role],
      );
    }
    await db.query(
      `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey", "createdAt")
       SELECT $1 || '_key' || k, $1, $1 || '_user' || (k % 2), 'bench key ' || k, $1 || '_hash' || k, 'tf-bn' || k || '…xx', now()
         FROM generate_series(1, ${KEYS}) k`,
      [orgId],
    );
    // Up to MODELS models of the price table, topped up with bench models when it has fewer.
    const { rows: have } = await db.query<{ id: string }>(
      `SELECT id FROM "Model" ORDER BY "sortOrder", id LIMIT ${MODELS}`,
    );
    for (let i = have.length; i < MODELS; i++)
      await db.query(
        `INSERT INTO "Model" (id, "displayName", provider, "inputPriceNanos", "outputPriceNanos", "cachedInputPriceNanos",
                              "contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "updatedAt")
         VALUES ($1, $1, 'Bench', $2, $3, $4, 128000, 8192, 4096, now()) ON CONFLICT DO NOTHING`,
        [`bench-model-${i}`, 100_000_000n * BigInt(i + 1), 400_000_000n * BigInt(i + 1), 50_000_000n * BigInt(i + 1)],
      );
    step("organization, members, keys and models ready");
    for (let offset = 0; offset < total; offset += batch) {
      const n = Math.min(batch, total - offset);
      await db.query(
        `WITH models AS (
           SELECT row_number() OVER (ORDER BY "sortOrder", id) - 1 AS i, id, "inputPriceNanos" AS ip,
                  COALESCE("cachedInputPriceNanos", "inputPriceNanos") AS cp, "outputPriceNanos" AS op
             FROM "Model" ORDER BY "sortOrder", id LIMIT ${MODELS}
         ), raw AS (
           SELECT g, (hashint4(g + 2) & 2147483647) % ${MODELS} AS mi, (hashint4(g + 3) & 2147483647) % ${KEYS} + 1 AS ki,
                  (hashint4(g) & 2147483647) % 1000 AS r1, (hashint4(g + 1) & 2147483647) AS r2
             FROM generate_series($2::int + 1, $2::int + $3::int) g
         ), shaped AS (
           SELECT raw.*, m.id AS model, m.ip, m.cp, m.op,
                  CASE WHEN r1 < 30 THEN 502 WHEN r1 < 35 THEN 400 ELSE 200 END AS status,
                  CASE WHEN r1 < 35 THEN 0 ELSE 50 + r2 % 4000 END AS tin,
                  CASE WHEN r1 < 35 OR r1 % 3 <> 0 THEN 0 ELSE r2 % 1500 END AS tcached,
                  CASE WHEN r1 < 35 THEN 0 ELSE r2 % 1200 END AS tout
             FROM raw JOIN models m ON m.i = raw.mi
         )
         INSERT INTO "RequestLog" (id, "organizationId", "apiKeyId", endpoint, "modelRequested", "modelRouted", "routeReason",
                                   "isStream", status, "errorCode", "inputTokens", "cachedInputTokens", "outputTokens",
                                   "inputPriceNanos", "cachedInputPriceNanos", "outputPriceNanos", "holdNanos", "costNanos",
                                   "usageSource", attempts, "latencyMs", "ttftMs", "createdAt", "overageNanos", "requestCount")
         SELECT 'req_bench_' || lpad(g::text, 9, '0'), $1, $1 || '_key' || ki, 'chat.completions',
                CASE WHEN r1 % 5 = 0 THEN 'auto' ELSE model END, model,
                CASE WHEN r1 % 5 = 0 THEN 'auto: cheapest model that fits' END,
                r1 % 2 = 0, status, CASE WHEN status <> 200 THEN 'upstream_error' END, tin, tcached, tout, ip, cp, op,
                cost + 1000, cost, (CASE WHEN status <> 200 THEN 'NONE' WHEN r1 % 50 = 1 THEN 'ESTIMATED' ELSE 'UPSTREAM' END)::"UsageSource",
                1 + (r1 % 7 = 0)::int, 200 + r2 % 5000, 40 + r2 % 800,
                (date_trunc('second', now() AT TIME ZONE 'UTC') - ((r2 % (${days} * 86400)) * interval '1 second'))::timestamp(3),
                0, 1
           FROM (SELECT shaped.*, ceil((tin::numeric * ip + tcached::numeric * cp + tout::numeric * op) / 1000000)::bigint AS cost
                   FROM shaped) s`,
        [orgId, offset, n],
      );
      step(`${offset + n} receipts`);
    }
    // The ledger: each charge as settlement writes it (a USAGE entry per request, referenced by id).
    await db.query(
      `INSERT INTO "LedgerEntry" (id, "organizationId", kind, "amountNanos", reference, "createdAt")
       SELECT 'le_' || id, "organizationId", 'USAGE', -"costNanos", id, "createdAt"
         FROM "RequestLog" WHERE "organizationId" = $1 AND "costNanos" > 0`,
      [orgId],
    );
    step("ledger charges");
    await db.query(
      `INSERT INTO "UsageDaily" ("organizationId", day, "apiKeyId", model, requests, "failedRequests",
                                 "inputTokens", "cachedInputTokens", "outputTokens", "costNanos")
       SELECT "organizationId", "createdAt"::date, COALESCE("apiKeyId", ''), COALESCE("modelRouted", "modelRequested"),
              count(*), count(*) FILTER (WHERE status <> 200), sum("inputTokens"), sum("cachedInputTokens"),
              sum("outputTokens"), sum("costNanos")
         FROM "RequestLog" WHERE "organizationId" = $1 GROUP BY 1, 2, 3, 4`,
      [orgId],
    );
    step("daily rollups");
    // A top-up that paid for all of it, with $100 left: balance + held = Σ ledger.
    const { rows } = await db.query<{ spent: bigint }>(
      `SELECT COALESCE(sum("costNanos"), 0)::bigint AS spent FROM "RequestLog" WHERE "organizationId" = $1`,
      [orgId],
    );
    const topUp = rows[0].spent + 100_000_000_000n;
    await db.query(`SELECT tf_credit($1, $2, 'TOPUP', $3, 'bench seed', NULL)`, [
      orgId,
      topUp.toString(),
      `${orgId}_topup`,
    ]);
    await db.query(`UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - $2 WHERE id = $1`, [
      orgId,
      rows[0].spent.toString(),
    ]);
    await db.query(`ANALYZE "RequestLog"; ANALYZE "UsageDaily"; ANALYZE "LedgerEntry"`);
    step(`done: ${total} receipts, $${Number(rows[0].spent) / 1e9} charged, organization ${orgId}`);
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
