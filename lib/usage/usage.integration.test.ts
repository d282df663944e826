// The usage domain against real Postgres, with requests billed through tf_admit/tf_settle: usage
// totals and the CSV agree with the ledger to the nano, keyset pages neither repeat nor miss a
// row, and nothing of one organization shows in another's views.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usdToNanos } from "@/lib/billing/money";
import { bigintTypes, SESSION_OPTIONS } from "@/lib/db/pool";
import { createFreshDatabase, type FreshDatabase } from "@/test/database";
import { insertKey, insertOrganization, insertUser, SEED_MODELS, seedBilledRequests } from "@/test/usage-seed";
import { decodeCursor } from "./cursor";
import { CSV_COLUMNS, streamRequestLogCsv } from "./csv-export";
import { parseUsageFilters, type UsageFilters } from "./filters";
import { getReceipt } from "./receipt";
import { listRequestLog } from "./request-log";
import { getUsageSummary } from "./summary";

let database: FreshDatabase;
let db: pg.Pool;
const A = "org_usage_a";
const B = "org_usage_b";
const allTime: UsageFilters = parseUsageFilters({ range: "90" });
let billedA: string[];

beforeAll(async () => {
  database = await createFreshDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 8, types: bigintTypes, options: SESSION_OPTIONS });
  for (const m of SEED_MODELS)
    await db.query(
      `INSERT INTO "Model" (id, "displayName", provider, "inputPriceNanos", "outputPriceNanos", "cachedInputPriceNanos",
                            "contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "updatedAt")
       VALUES ($1, $1, 'Test', $2, $3, $4, 128000, 8192, 4096, now())`,
      [m.id, m.inputPriceNanos, m.outputPriceNanos, m.cachedInputPriceNanos],
    );
  await insertOrganization(db, A, 1_000_000_000_000n);
  await insertOrganization(db, B, 1_000_000_000_000n);
  await insertUser(db, "alice", A, "OWNER");
  await insertUser(db, "bob", A);
  await insertKey(db, { id: "key_a1", organizationId: A, name: "prod", createdById: "alice" });
  await insertKey(db, { id: "key_a2", organizationId: A, name: "staging", createdById: "alice" });
  await insertKey(db, { id: "key_a3", organizationId: A, name: '=bob\'s, "laptop"', createdById: "bob" });
  await insertKey(db, { id: "key_b1", organizationId: B, name: "b-prod" });
  billedA = await seedBilledRequests(db, {
    organizationId: A,
    keyIds: ["key_a1", "key_a2", "key_a3", null],
    count: 400,
    days: 30,
    seed: 7,
    refusals: 3,
  });
  await seedBilledRequests(db, { organizationId: B, keyIds: ["key_b1"], count: 60, days: 30, seed: 8 });
}, 120_000);

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

async function ledgerCharges(organizationId: string, keyIds?: string[]): Promise<bigint> {
  const { rows } = await db.query<{ spent: bigint }>(
    `SELECT COALESCE(-sum(l."amountNanos"), 0)::bigint AS spent
       FROM "LedgerEntry" l JOIN "Hold" h ON h.id = l.reference
      WHERE l."organizationId" = $1 AND l.kind = 'USAGE' AND ($2::text[] IS NULL OR h."apiKeyId" = ANY($2))`,
    [organizationId, keyIds ?? null],
  );
  return rows[0].spent;
}

async function readCsv(stream: ReadableStream<Uint8Array>): Promise<string[][]> {
  const text = await new Response(stream).text();
  const lines = text.split("\r\n");
  expect(lines.pop()).toBe("");
  return lines.map(parseCsvLine);
}

function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') break;
        else value += line[i++];
      }
      fields.push(value);
      i += 2;
    } else {
      const end = line.indexOf(",", i);
      fields.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length + 1 : end + 1;
    }
  }
  return fields;
}

describe("usage totals", () => {
  it("equal the ledger's charges to the nano, in total, per key and per member", async () => {
    const summary = await getUsageSummary(A, allTime, db);
    const ledger = await ledgerCharges(A);
    expect(ledger).toBeGreaterThan(0n);
    expect(summary.totals.costNanos).toBe(ledger);
    expect(summary.totals.requests).toBe(400n);
    expect(summary.byModel.reduce((s, m) => s + m.costNanos, 0n)).toBe(ledger);
    expect(summary.byDay.reduce((s, d) => s + d.costNanos, 0n)).toBe(ledger);

    const perKey = await getUsageSummary(A, { ...allTime, keyId: "key_a2" }, db);
    expect(perKey.totals.costNanos).toBe(await ledgerCharges(A, ["key_a2"]));
    const alice = await getUsageSummary(A, { ...allTime, memberId: "alice" }, db);
    expect(alice.totals.costNanos).toBe(await ledgerCharges(A, ["key_a1", "key_a2"]));
    const bob = await getUsageSummary(A, { ...allTime, memberId: "bob" }, db);
    expect(bob.totals.costNanos).toBe(await ledgerCharges(A, ["key_a3"]));
  });

  it("per model match the receipts and carry the price table's unit prices", async () => {
    const summary = await getUsageSummary(A, allTime, db);
    const { rows } = await db.query<{ model: string; cost: bigint; tokens: bigint }>(
      `SELECT "modelRouted" AS model, sum("costNanos")::bigint AS cost, sum("inputTokens")::bigint AS tokens
         FROM "RequestLog" WHERE "organizationId" = $1 AND "requestCount" = 1 GROUP BY 1 ORDER BY 1`,
      [A],
    );
    expect(
      summary.byModel
        .map((m) => ({ model: m.model, cost: m.costNanos, tokens: m.inputTokens }))
        .sort((a, b) => a.model.localeCompare(b.model)),
    ).toEqual(rows);
    const gpt = summary.byModel.find((m) => m.model === "gpt-4o");
    expect(gpt?.prices).toEqual({
      inputPriceNanos: 2_500_000_000n,
      cachedInputPriceNanos: 1_250_000_000n,
      outputPriceNanos: 10_000_000_000n,
    });
    const one = await getUsageSummary(A, { ...allTime, model: "gpt-4o" }, db);
    expect(one.byModel.map((m) => m.model)).toEqual(["gpt-4o"]);
    expect(one.totals.costNanos).toBe(gpt?.costNanos);
  });

  it("respect the date range by UTC day", async () => {
    const { rows } = await db.query<{ cost: bigint }>(
      `SELECT COALESCE(sum("costNanos"), 0)::bigint AS cost FROM "RequestLog"
        WHERE "organizationId" = $1 AND "createdAt" >= (now() AT TIME ZONE 'UTC')::date - 6`,
      [A],
    );
    expect((await getUsageSummary(A, parseUsageFilters({ range: "7" }), db)).totals.costNanos).toBe(rows[0].cost);
  });
});

describe("CSV export", () => {
  it("has one row per receipt and its cost_usd column sums to the ledger's charges exactly", async () => {
    const rows = await readCsv(streamRequestLogCsv(A, allTime, { db, batchSize: 37 }));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const body = rows.slice(1);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(body).toHaveLength(403); // 400 billed + 3 aggregated refusal receipts
    expect(new Set(body.map((r) => r[col("request_id")])).size).toBe(403);
    for (const r of body) expect(r).toHaveLength(CSV_COLUMNS.length);
    const total = body.reduce((sum, r) => sum + usdToNanos(r[col("cost_usd")]), 0n);
    expect(total).toBe(await ledgerCharges(A));
    expect(body.every((r) => /^\d+\.\d{9}$/.test(r[col("cost_usd")]))).toBe(true);
    expect(body.filter((r) => r[col("request_count")] !== "1").map((r) => r[col("request_count")])).toEqual([
      "5",
      "6",
      "7",
    ]);
    expect(body.some((r) => r[col("key")] === "'=bob's, \"laptop\"")).toBe(true); // quoted, and no formula
    const overage = body.reduce((sum, r) => sum + usdToNanos(r[col("overage_usd")]), 0n);
    const { rows: held } = await db.query<{ overage: bigint }>(
      `SELECT sum("overageNanos")::bigint AS overage FROM "RequestLog" WHERE "organizationId" = $1`,
      [A],
    );
    expect(overage).toBe(held[0].overage);
    expect(overage).toBeGreaterThan(0n);
  });

  it("honours the filters", async () => {
    const rows = (await readCsv(streamRequestLogCsv(A, { ...allTime, keyId: "key_a3", status: "ok" }, { db }))).slice(
      1,
    );
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r[col("key_id")] === "key_a3" && r[col("status")] === "200")).toBe(true);
    const total = rows.reduce((sum, r) => sum + usdToNanos(r[col("cost_usd")]), 0n);
    expect(total).toBe(await ledgerCharges(A, ["key_a3"]));
  });
});

describe("request log pages", () => {
  it("walk every receipt exactly once, older and back newer, ties broken by id", async () => {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM "RequestLog" WHERE "organizationId" = $1 ORDER BY "createdAt" DESC, id DESC`,
      [A],
    );
    const seen: string[] = [];
    const pages: string[][] = [];
    let page = await listRequestLog(A, allTime, { limit: 7 }, db);
    expect(page.newer).toBeNull();
    for (;;) {
      pages.push(page.entries.map((e) => e.id));
      seen.push(...page.entries.map((e) => e.id));
      if (!page.older) break;
      page = await listRequestLog(A, allTime, { before: decodeCursor(page.older), limit: 7 }, db);
      expect(page.newer).not.toBeNull();
    }
    expect(seen).toEqual(rows.map((r) => r.id));
    expect(seen).toContain(billedA[0]);
    // And back: "Newer" from the oldest page gives the same pages in reverse.
    const back: string[][] = [page.entries.map((e) => e.id)];
    while (page.newer) {
      page = await listRequestLog(A, allTime, { after: decodeCursor(page.newer), limit: 7 }, db);
      back.push(page.entries.map((e) => e.id));
    }
    expect(back.flat().length).toBe(rows.length);
    expect(new Set(back.flat())).toEqual(new Set(seen));
    expect(back[back.length - 1]).toEqual(pages[0]);
  });

  it("filter by status, model and member", async () => {
    const errors = await listRequestLog(A, { ...allTime, status: "error" }, { limit: 500 }, db);
    expect(errors.entries.length).toBeGreaterThan(0);
    expect(errors.entries.every((e) => e.status < 200 || e.status >= 300)).toBe(true);
    const qwen = await listRequestLog(A, { ...allTime, model: "qwen-plus" }, { limit: 500 }, db);
    expect(qwen.entries.every((e) => e.modelRouted === "qwen-plus")).toBe(true);
    const bob = await listRequestLog(A, { ...allTime, memberId: "bob" }, { limit: 500 }, db);
    expect(bob.entries.length).toBeGreaterThan(0);
    expect(bob.entries.every((e) => e.apiKeyId === "key_a3" && e.keyName === '=bob\'s, "laptop"')).toBe(true);
  });
});

describe("isolation between organizations", () => {
  it("another organization's key or member as a filter matches nothing", async () => {
    const viaKey = { ...allTime, keyId: "key_a1" };
    expect((await getUsageSummary(B, viaKey, db)).totals.requests).toBe(0n);
    expect((await listRequestLog(B, viaKey, {}, db)).entries).toEqual([]);
    expect(await readCsv(streamRequestLogCsv(B, viaKey, { db }))).toEqual([[...CSV_COLUMNS]]);
    expect((await getUsageSummary(B, { ...allTime, memberId: "alice" }, db)).totals.requests).toBe(0n);
    expect((await listRequestLog(B, { ...allTime, memberId: "alice" }, {}, db)).entries).toEqual([]);
  });

  it("a receipt of another organization is not found, and B's log shows only B's", async () => {
    expect(await getReceipt(A, billedA[0], db)).not.toBeNull();
    expect(await getReceipt(B, billedA[0], db)).toBeNull();
    const page = await listRequestLog(B, allTime, { limit: 500 }, db);
    expect(page.entries).toHaveLength(60);
    expect(page.entries.every((e) => e.apiKeyId === "key_b1")).toBe(true);
    expect((await getUsageSummary(B, allTime, db)).totals.costNanos).toBe(await ledgerCharges(B));
  });
});

describe("a large export", () => {
  it("streams with flat memory", async () => {
    const C = "org_usage_big";
    const rowsToExport = 250_000;
    await db.query(`INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ($1, $1, now(), now())`, [
      C,
    ]);
    await db.query(
      `INSERT INTO "RequestLog" (id, "organizationId", endpoint, "modelRequested", "modelRouted", status,
                                 "inputTokens", "outputTokens", "costNanos", "createdAt")
       SELECT 'big_' || g, $1, 'chat.completions', 'deepseek-v3', 'deepseek-v3', 200, 1000, 500, 820000 + g,
              (now() AT TIME ZONE 'UTC') - (g * interval '10 seconds')
         FROM generate_series(1, $2::int) g`,
      [C, rowsToExport],
    );
    await db.query(`ANALYZE "RequestLog"`);
    // What the export holds on to, not the garbage it makes on the way (whose size depends on when the
    // collector happens to run): the live heap after a collection, sampled while it streams.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const liveHeap = () => (gc(), process.memoryUsage().heapUsed);
    const before = liveHeap();
    let peak = before;
    let bytes = 0;
    let lines = 0;
    let reads = 0;
    const reader = streamRequestLogCsv(C, allTime, { db }).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const b of value) if (b === 10) lines++;
      if (++reads % 5 === 0) peak = Math.max(peak, liveHeap());
    }
    const growthMb = (peak - before) / 1e6;
    console.log(
      `[usage] exported ${lines - 1} rows, ${(bytes / 1e6).toFixed(1)} MB in ${reads} chunks; live heap growth at peak ${growthMb.toFixed(1)} MB`,
    );
    expect(lines - 1).toBe(rowsToExport);
    expect(reads).toBeGreaterThan(20); // sampled many times along the way
    // The whole CSV is ~27 MB and its rows as objects several times that: holding it would show.
    expect(growthMb).toBeLessThan(bytes / 1e6 / 4);
  }, 120_000);
});
