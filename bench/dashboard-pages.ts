// Server time of the usage pages' queries at scale: the usage summary (rollup), the filter menus,
// the request log's first page, a deep keyset page and filtered pages, a receipt, and CSV export
// throughput — against a database seeded by `npm run seed:receipts` (1M receipts in one org).
//   DATABASE_URL=postgres://… npm run bench:dashboard -- [--org org_bench] [--runs 40] [--export-rows 1000000]
import { parseArgs } from "node:util";
import pg from "pg";
import { bigintTypes, SESSION_OPTIONS } from "../lib/db/pool";
import { decodeCursor, encodeCursor } from "../lib/usage/cursor";
import { streamRequestLogCsv } from "../lib/usage/csv-export";
import { getFilterOptions } from "../lib/usage/filter-options";
import { parseUsageFilters } from "../lib/usage/filters";
import { getReceipt } from "../lib/usage/receipt";
import { listRequestLog } from "../lib/usage/request-log";
import { getUsageSummary } from "../lib/usage/summary";

const { values } = parseArgs({
  options: { org: { type: "string", default: "org_bench" }, runs: { type: "string", default: "40" } },
});
const org = values.org!;
const runs = Number(values.runs);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(name: string, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const p95 = percentile(times, 95);
  console.log(
    `${name.padEnd(48)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms${p95 >= 200 ? "   ⚠ over 200 ms" : ""}`,
  );
  return p95;
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  const db = new pg.Pool({ connectionString: url, max: 4, types: bigintTypes, options: SESSION_OPTIONS });
  try {
    const { rows: count } = await db.query<{ n: bigint }>(
      `SELECT count(*) AS n FROM "RequestLog" WHERE "organizationId" = $1`,
      [org],
    );
    const { rows: someKey } = await db.query<{ id: string; createdById: string }>(
      `SELECT id, "createdById" FROM "ApiKey" WHERE "organizationId" = $1 ORDER BY id LIMIT 1`,
      [org],
    );
    const { rows: someModel } = await db.query<{ model: string }>(
      `SELECT model FROM "UsageDaily" WHERE "organizationId" = $1 GROUP BY model ORDER BY sum(requests) LIMIT 1`,
      [org],
    );
    console.log(`organization ${org}: ${count[0].n} receipts; ${runs} runs per query\n`);
    const d30 = parseUsageFilters({ range: "30" });
    const d90 = parseUsageFilters({ range: "90" });
    const key = someKey[0].id;
    const member = someKey[0].createdById;
    const model = someModel[0].model;
    // A cursor half-way down the 90 days (a deep page).
    const { rows: mid } = await db.query<{ createdAt: Date; id: string }>(
      `SELECT "createdAt" AT TIME ZONE 'UTC' AS "createdAt", id FROM "RequestLog" WHERE "organizationId" = $1
        ORDER BY "createdAt" DESC, id DESC OFFSET $2 LIMIT 1`,
      [org, Math.floor(Number(count[0].n) / 2)],
    );
    const deep = decodeCursor(encodeCursor(mid[0]));
    const results: number[] = [];
    console.log("usage page");
    results.push(await measure("  summary, last 30 days", () => getUsageSummary(org, d30, db)));
    results.push(await measure("  summary, last 90 days", () => getUsageSummary(org, d90, db)));
    results.push(await measure("  summary, 90 days, one key", () => getUsageSummary(org, { ...d90, keyId: key }, db)));
    results.push(
      await measure("  summary, 90 days, one member", () => getUsageSummary(org, { ...d90, memberId: member }, db)),
    );
    results.push(await measure("  filter menus (keys, members, models)", () => getFilterOptions(org, db)));
    console.log("request log");
    results.push(await measure("  first page, 30 days", () => listRequestLog(org, d30, {}, db)));
    results.push(await measure("  first page, 90 days", () => listRequestLog(org, d90, {}, db)));
    results.push(
      await measure("  deep page (cursor half-way, 500k rows down)", () =>
        listRequestLog(org, d90, { before: deep }, db),
      ),
    );
    results.push(await measure("  newer from the deep cursor", () => listRequestLog(org, d90, { after: deep }, db)));
    results.push(await measure("  filtered: one key", () => listRequestLog(org, { ...d90, keyId: key }, {}, db)));
    results.push(
      await measure("  filtered: one member", () => listRequestLog(org, { ...d90, memberId: member }, {}, db)),
    );
    results.push(await measure(`  filtered: model ${model}`, () => listRequestLog(org, { ...d90, model }, {}, db)));
    results.push(
      await measure("  filtered: errors only", () => listRequestLog(org, { ...d90, status: "error" }, {}, db)),
    );
    results.push(
      await measure("  filtered: one key, errors, deep cursor", () =>
        listRequestLog(org, { ...d90, keyId: key, status: "error" }, { before: deep }, db),
      ),
    );
    results.push(await measure("  receipt page", () => getReceipt(org, mid[0].id, db)));

    console.log("\nCSV export (all 90 days)");
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    let bytes = 0;
    let lines = 0;
    const started = performance.now();
    const reader = streamRequestLogCsv(org, d90, { db }).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const b of value) if (b === 10) lines++;
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  ${lines - 1} rows, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s: ${Math.round((lines - 1) / seconds)} rows/s, ` +
        `${(bytes / 1e6 / seconds).toFixed(1)} MB/s; heap growth at peak ${((heapPeak - heapBefore) / 1e6).toFixed(1)} MB`,
    );
    const worst = Math.max(...results);
    console.log(`\nworst page-query p95: ${worst.toFixed(1)} ms (target < 200 ms)`);
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
