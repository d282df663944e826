// Billing benchmark: the latency that admission + settlement add to a request, and the billing
// transactions per second one organization sustains (all requests contend on its one balance row).
// Real Postgres only (PGlite serialises everything and would measure nothing useful).
// Two concurrent runs: each request billed with its own statements (admitHold / settleHold), then
// through the gateway's per-organization batches (billingBatches: what /v1 uses).
//   npx tsx bench/billing.ts [--sequential 2000] [--seconds 10] [--concurrency 32] [--batched-concurrency 256]
import { parseArgs } from "node:util";
import pg from "pg";
import { billingBatches } from "../lib/billing/billing-batches";
import { admitHold, settleHold, type HoldRequest, type Settlement } from "../lib/billing/holds";
import { creditOrganization } from "../lib/billing/credits";
import { findLedgerMismatches } from "../lib/billing/reconcile";
import type { RequestLogRow } from "../lib/billing/request-log";
import { bigintTypes } from "../lib/db/pool";
import { createFreshDatabaseAt } from "../test/database";

const { values } = parseArgs({
  options: {
    sequential: { type: "string", default: "2000" },
    seconds: { type: "string", default: "10" },
    concurrency: { type: "string", default: "32" },
    "batched-concurrency": { type: "string", default: "256" },
  },
});
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function receipt(id: string, orgId: string, keyId: string): RequestLogRow {
  return {
    id,
    organizationId: orgId,
    apiKeyId: keyId,
    endpoint: "chat.completions",
    modelRequested: "deepseek-v3",
    modelRouted: "deepseek-v3",
    upstreamModel: "deepseek-chat",
    channelId: null,
    routeReason: null,
    isStream: true,
    status: 200,
    errorCode: null,
    inputTokens: 120,
    cachedInputTokens: 0,
    outputTokens: 300,
    inputPriceNanos: 140_000_000n,
    cachedInputPriceNanos: 140_000_000n,
    outputPriceNanos: 280_000_000n,
    holdNanos: 0n,
    costNanos: 0n,
    usageSource: "UPSTREAM",
    attempts: 1,
    latencyMs: 900,
    ttftMs: 200,
    createdAt: new Date(),
    overageNanos: 0n,
    requestCount: 1,
  };
}

async function main() {
  const database = await createFreshDatabaseAt(adminUrl, { namePrefix: "tf_bench_" });
  const pool = new pg.Pool({ connectionString: database.url, max: Number(values.concurrency), types: bigintTypes });
  try {
    const orgId = "org_bench";
    const keyId = "key_bench";
    await pool.query(
      `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ($1, 'bench', now(), now())`,
      [orgId],
    );
    await pool.query(
      `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey", "createdAt") VALUES ($1, $2, 'k', 'h', 'tf-…', now())`,
      [keyId, orgId],
    );
    await creditOrganization(pool, { organizationId: orgId, amountNanos: 10n ** 15n, kind: "ADJUSTMENT" });

    let n = 0;
    type Billing = { admit(h: HoldRequest): Promise<unknown>; settle(s: Settlement): Promise<unknown> };
    const single: Billing = {
      admit: (h) => admitHold(pool, h),
      settle: (s) => settleHold(pool, s.requestId, s.costNanos, s.log),
    };
    const batches = billingBatches(pool);
    const batched: Billing = { admit: batches.admit, settle: (s) => batches.settle({ ...s, organizationId: orgId }) };
    const one = async (billing: Billing = single) => {
      const id = `bench_${n++}`;
      const t0 = performance.now();
      const admitted = await billing.admit({
        requestId: id,
        organizationId: orgId,
        apiKeyId: keyId,
        amountNanos: 1_000_000n,
      });
      if (admitted !== "ok") throw new Error("refused");
      const t1 = performance.now();
      await billing.settle({ requestId: id, costNanos: 100_800n, log: receipt(id, orgId, keyId) });
      return [t1 - t0, performance.now() - t1, performance.now() - t0] as const;
    };

    for (let i = 0; i < 200; i++) await one(); // warm-up
    const admit: number[] = [];
    const settle: number[] = [];
    const both: number[] = [];
    for (let i = 0; i < Number(values.sequential); i++) {
      const [a, s, b] = await one();
      admit.push(a);
      settle.push(s);
      both.push(b);
    }
    for (const xs of [admit, settle, both]) xs.sort((a, b) => a - b);
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(3)} ms, p99 ${percentile(xs, 99).toFixed(3)} ms`;
    console.log(`sequential (${values.sequential} requests, one connection at a time):`);
    console.log(`  admission           ${fmt(admit)}`);
    console.log(`  settlement+receipt  ${fmt(settle)}`);
    console.log(`  both                ${fmt(both)}`);

    const concurrent = async (label: string, workers: number, billing: Billing) => {
      const deadline = Date.now() + Number(values.seconds) * 1000;
      let done = 0;
      const started = performance.now();
      const latencies: number[] = [];
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (Date.now() < deadline) {
            latencies.push((await one(billing))[2]);
            done++;
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      console.log(`${label} (${workers} concurrent requests, ${values.seconds} s, one organization, one key):`);
      console.log(`  ${Math.round(done / elapsed)} billed requests/s (admission + settlement each), ${fmt(latencies)}`);
    };
    await concurrent("one statement per step", Number(values.concurrency), single);
    await concurrent("batched per organization", Number(values["batched-concurrency"]), batched);
    const { admissions, settlements, mixed } = batches.stats();
    const mean = (s: typeof admissions) => (s.batchedItems / Math.max(1, s.batches)).toFixed(1);
    console.log(
      `  batches: ${admissions.batches} admissions (mean ${mean(admissions)} items, ${admissions.singles} alone), ` +
        `${settlements.batches} settlements (mean ${mean(settlements)} items, ${settlements.singles} alone); ` +
        `${mixed} statements carried both`,
    );
    const mismatches = await findLedgerMismatches(pool);
    const open = await pool.query(`SELECT count(*)::int AS n FROM "Hold" WHERE state = 'HELD'`);
    console.log(
      `ledger check: ${mismatches.length === 0 ? "balance + held = Σ ledger" : `MISMATCH ${JSON.stringify(mismatches, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`}; open holds: ${open.rows[0].n}`,
    );
  } finally {
    await pool.end();
    await database.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
