// Batched admission and settlement against real Postgres: a batch must leave exactly what the
// single-item functions leave when called one after another in the batch's order (answers, balances,
// key and member limits, holds, ledger, receipts, daily usage, low-balance notices), and the
// per-organization batching must stay exact under a 1,000-way race.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigintTypes } from "@/lib/db/pool";
import { createFreshDatabase } from "@/test/database";
import { seededRandom } from "@/test/seeded-random";
import { billingBatches } from "./billing-batches";
import { creditOrganization } from "./credits";
import { admitHold, releaseHold, settleHold, settleHolds } from "./holds";
import { findLedgerMismatches } from "./reconcile";
import type { RequestLogRow } from "./request-log";

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let db: pg.Pool;

beforeAll(async () => {
  database = await createFreshDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 20, types: bigintTypes });
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

const KEYS = ["open", "total", "daily", "capped", "uncapped"] as const;
type KeyName = (typeof KEYS)[number];

/**
 * An organization with five keys: no limit; a total limit; a daily limit owned by a member with a
 * monthly cap; a key of that capped member without a key limit; a key of a member without a cap.
 */
async function newTwin(tag: string, balance: bigint) {
  const orgId = `org_${tag}`;
  await db.query(
    `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt", "lowBalanceThresholdNanos", "autoTopUpEnabled", "autoTopUpThresholdNanos")
     VALUES ($1, $1, now(), now(), $2, true, $3)`,
    [orgId, ((balance * 3n) / 4n).toString(), (balance / 3n).toString()],
  );
  await creditOrganization(db, { organizationId: orgId, amountNanos: balance, kind: "ADJUSTMENT" });
  for (const [user, cap] of [
    [`capped_${tag}`, 25_000n],
    [`free_${tag}`, null],
  ] as const) {
    await db.query(`INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1 || '@example.test', now())`, [user]);
    await db.query(
      `INSERT INTO "Membership" (id, "userId", "organizationId", role, "monthlySpendLimitNanos") VALUES ($1, $2, $3, 'MEMBER', $4)`,
      [`mem_${user}`, user, orgId, cap?.toString() ?? null],
    );
  }
  const keys: Record<KeyName, [string | null, bigint | null, string]> = {
    open: [null, null, "TOTAL"],
    total: [null, 15_000n, "TOTAL"],
    daily: [`capped_${tag}`, 12_000n, "DAILY"],
    capped: [`capped_${tag}`, null, "TOTAL"],
    uncapped: [`free_${tag}`, null, "TOTAL"],
  };
  for (const name of KEYS) {
    const [owner, limit, period] = keys[name];
    await db.query(
      `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey", "spendLimitNanos", "spendLimitPeriod", "createdAt")
       VALUES ($1, $2, $3, 'k', $1, 'tf-…', $4, $5, now())`,
      [`${name}_${tag}`, orgId, owner, limit?.toString() ?? null, period],
    );
  }
  return orgId;
}

/** Everything the money functions touch, with the twin's tag taken out of every id. */
async function snapshot(tag: string) {
  const strip = (value: unknown) =>
    JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)).replaceAll(tag, "T"));
  const q = async (text: string) => strip((await db.query(text, [`org_${tag}`])).rows);
  return {
    org: await q(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`),
    keys: await q(
      `SELECT id, "heldNanos", "spentNanos", "periodSpentNanos" FROM "ApiKey" WHERE "organizationId" = $1 ORDER BY id`,
    ),
    members: await q(
      `SELECT "userId", "monthHeldNanos", "monthSpentNanos" FROM "Membership" WHERE "organizationId" = $1 ORDER BY "userId"`,
    ),
    holds: await q(
      `SELECT id, "apiKeyId", "memberUserId", "amountNanos", "chargedNanos", state FROM "Hold" WHERE "organizationId" = $1 ORDER BY id`,
    ),
    ledger: await q(
      `SELECT kind, "amountNanos", CASE WHEN kind = 'USAGE' THEN reference END AS reference
         FROM "LedgerEntry" WHERE "organizationId" = $1 ORDER BY 3 NULLS FIRST, kind`,
    ),
    receipts: await q(
      `SELECT id, "apiKeyId", status, "costNanos", "holdNanos", "overageNanos", "inputTokens", "outputTokens", "cacheWriteInputTokens"
         FROM "RequestLog" WHERE "organizationId" = $1 ORDER BY id`,
    ),
    usage: await q(
      `SELECT day, "apiKeyId", model, requests, "failedRequests", "inputTokens", "outputTokens", "costNanos", "cacheWriteInputTokens"
         FROM "UsageDaily" WHERE "organizationId" = $1 ORDER BY "apiKeyId", model`,
    ),
    notifications: await q(
      `SELECT kind, data FROM "Notification" WHERE "organizationId" = $1 ORDER BY "createdAt", id`,
    ),
  };
}

function receipt(id: string, orgId: string, keyId: string, model: string, status: number): RequestLogRow {
  return {
    id,
    organizationId: orgId,
    apiKeyId: keyId,
    endpoint: "chat.completions",
    modelRequested: model,
    modelRouted: model,
    upstreamModel: null,
    channelId: null,
    routeReason: null,
    isStream: false,
    status,
    errorCode: status === 200 ? null : "upstream_error",
    inputTokens: 11,
    cachedInputTokens: 2,
    cacheWriteInputTokens: 3,
    outputTokens: 7,
    inputPriceNanos: 1n,
    cachedInputPriceNanos: 1n,
    cacheWriteInputPriceNanos: 1n,
    outputPriceNanos: 1n,
    holdNanos: 0n,
    costNanos: 0n,
    usageSource: "UPSTREAM",
    attempts: 1,
    latencyMs: 1,
    ttftMs: null,
    createdAt: new Date(),
    overageNanos: 0n,
    requestCount: 1,
  };
}

/** tf_admit's answer, with its two refusals raised as exceptions turned into answers like tf_admit_many's. */
async function admitOne(id: string, orgId: string, key: string | null, amount: bigint): Promise<string> {
  try {
    const { rows } = await db.query(`SELECT tf_admit($1, $2, $3, $4) AS r`, [id, orgId, key, amount.toString()]);
    return rows[0].r as string;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "TF001") return "key_spend_limit";
    if (code === "TF005") return "member_spend_limit";
    throw err;
  }
}

describe("a batch equals the single-item functions in order", () => {
  for (const seed of [1, 2, 3]) {
    it(`admission and settlement of a random plan (seed ${seed})`, async () => {
      const random = seededRandom(seed);
      const balance = 200_000n;
      const plan = Array.from({ length: 240 }, (_, i) => ({
        n: i,
        key: random() < 0.05 ? null : KEYS[Math.floor(random() * KEYS.length)],
        amount: BigInt(1 + Math.floor(random() * 4_000)),
      }));
      const [seq, bat] = [`seq${seed}`, `bat${seed}`];
      const [seqOrg, batOrg] = [await newTwin(seq, balance), await newTwin(bat, balance)];
      const idOf = (tag: string, n: number) => `r${n}_${tag}`;
      const keyOf = (tag: string, key: KeyName | null) => (key ? `${key}_${tag}` : null);

      // Admission: one by one, and in batches of 40.
      const seqAnswers: string[] = [];
      for (const p of plan) seqAnswers.push(await admitOne(idOf(seq, p.n), seqOrg, keyOf(seq, p.key), p.amount));
      const batAnswers: string[] = [];
      for (let i = 0; i < plan.length; i += 40) {
        const items = plan
          .slice(i, i + 40)
          .map((p) => ({ id: idOf(bat, p.n), key: keyOf(bat, p.key), amount: p.amount.toString() }));
        const { rows } = await db.query(`SELECT tf_admit_many($1, $2::jsonb) AS r`, [batOrg, JSON.stringify(items)]);
        batAnswers.push(...(rows[0].r as string[]));
      }
      expect(batAnswers).toEqual(seqAnswers);
      // The plan exercises every answer.
      for (const answer of ["ok", "ok_top_up", "insufficient_quota", "key_spend_limit", "member_spend_limit"]) {
        expect(seqAnswers, answer).toContain(answer);
      }
      expect(await snapshot(bat)).toEqual(await snapshot(seq));

      // Settlement: costs below, at and above the hold, zero, failed requests, a hold the sweeper
      // released first, and a replay.
      const admitted = plan.filter((_, i) => seqAnswers[i].startsWith("ok"));
      const costs = admitted.map((p) => {
        const r = random();
        return r < 0.1 ? 0n : r < 0.2 ? p.amount + 500n : BigInt(Math.floor(Number(p.amount) * random()));
      });
      for (const tag of [seq, bat]) await releaseHold(db, idOf(tag, admitted[3].n));
      const settleOf = (tag: string, orgId: string, i: number) => {
        const p = admitted[i];
        const keyId = keyOf(tag, p.key) ?? "";
        return {
          requestId: idOf(tag, p.n),
          costNanos: costs[i],
          log: receipt(idOf(tag, p.n), orgId, keyId, i % 3 === 0 ? "model-a" : "model-b", i % 7 === 0 ? 502 : 200),
        };
      };
      const seqCharges: (bigint | null)[] = [];
      for (let i = 0; i < admitted.length; i++) {
        const s = settleOf(seq, seqOrg, i);
        seqCharges.push(await settleHold(db, s.requestId, s.costNanos, s.log));
      }
      seqCharges.push(await settleHold(db, idOf(seq, admitted[5].n), 1n, settleOf(seq, seqOrg, 5).log)); // replay
      const batItems = [
        ...admitted.map((_, i) => settleOf(bat, batOrg, i)),
        { ...settleOf(bat, batOrg, 5), costNanos: 1n },
      ];
      const batCharges: (bigint | null)[] = [];
      for (let i = 0; i < batItems.length; i += 25) {
        batCharges.push(...(await settleHolds(db, batOrg, batItems.slice(i, i + 25))));
      }
      expect(batCharges).toEqual(seqCharges);
      expect(batCharges.at(-1)).toBeNull(); // the replay charged nothing
      const [seqAfter, batAfter] = [await snapshot(seq), await snapshot(bat)];
      expect(batAfter).toEqual(seqAfter);
      expect(seqAfter.notifications).toHaveLength(1); // the low-balance threshold was crossed once
      expect(seqAfter.usage.length).toBeGreaterThan(4);
      expect(await findLedgerMismatches(db)).toEqual([]);
    });
  }

  it("an item of another organization, an unknown id and one id twice in a batch settle as no-ops", async () => {
    const a = await newTwin("dupA", 10_000n);
    const b = await newTwin("dupB", 10_000n);
    await db.query(`SELECT tf_admit_many($1, $2::jsonb)`, [
      a,
      JSON.stringify([{ id: "h1", key: null, amount: "100" }]),
    ]);
    await db.query(`SELECT tf_admit_many($1, $2::jsonb)`, [
      b,
      JSON.stringify([{ id: "h2", key: null, amount: "100" }]),
    ]);
    const item = (id: string, org: string) => ({ requestId: id, costNanos: 60n, log: receipt(id, org, "", "m", 200) });
    expect(await settleHolds(db, a, [item("h1", a), item("h1", a), item("h2", a), item("nope", a)])).toEqual([
      60n,
      null,
      null,
      null,
    ]);
    const { rows } = await db.query(
      `SELECT id, state, "chargedNanos" FROM "Hold" WHERE id IN ('h1', 'h2') ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: "h1", state: "SETTLED", chargedNanos: 60n },
      { id: "h2", state: "HELD", chargedNanos: null },
    ]);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });
});

describe("a batch reads only its own holds", () => {
  // Regression: the hold lookup once let the planner AND the primary key with the organization's
  // index, reading every hold the organization ever had for each batch (a 10-minute soak slowed from
  // 760 to 200 billed requests/s). Counted in this transaction's own index statistics.
  it("settling a few holds reads none of the organization's others, however many it has", async () => {
    const org = await newTwin("many", 10n ** 15n);
    const other = await newTwin("manyOther", 10_000n);
    await db.query(
      `INSERT INTO "Hold" (id, "organizationId", "amountNanos", state, "chargedNanos", "createdAt", "resolvedAt")
       SELECT 'old_' || n, CASE WHEN n % 50 = 0 THEN $2 ELSE $1 END, 100, 'SETTLED', 100, now(), now()
         FROM generate_series(1, 20000) n`,
      [org, other],
    );
    // Never analyzed, as a busy table between autovacuum runs: the planner then guesses an equality on
    // the organization selective, which is what made it combine the two indexes.
    const client = await db.connect();
    try {
      const orgIndexReads: number[] = [];
      // Eight batches: PL/pgSQL switches to a cached generic plan after the fifth call of a statement.
      for (let batch = 0; batch < 8; batch++) {
        const ids = Array.from({ length: 5 }, (_, i) => `fresh_${batch}_${i}`);
        await client.query(`SELECT tf_admit_many($1, $2::jsonb)`, [
          org,
          JSON.stringify(ids.map((id) => ({ id, key: null, amount: "1000" }))),
        ]);
        const readsSoFar = async () =>
          Number(
            (
              await client.query<{ reads: string }>(
                `SELECT pg_stat_get_xact_tuples_returned('"Hold_organizationId_idx"'::regclass) AS reads`,
              )
            ).rows[0].reads,
          );
        await client.query("BEGIN");
        const before = await readsSoFar();
        const charges = await settleHolds(
          client,
          org,
          ids.map((id) => ({ requestId: id, costNanos: 600n, log: receipt(id, org, "", "m", 200) })),
        );
        expect(charges).toEqual(ids.map(() => 600n));
        orgIndexReads.push((await readsSoFar()) - before);
        await client.query("COMMIT");
      }
      expect(orgIndexReads).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      client.release();
    }
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  // Regression: on a young database the generic plans PL/pgSQL cached while "Hold" was nearly empty
  // read the whole table for every settlement batch, until the next ANALYZE: first sequentially (twice);
  // then, with sequential scans off, through the primary key's index, the batch's UPDATE joined with the
  // whole index (a hash join, or with hash joins off a nested loop over it). Migration 20261212000000.
  // A lone request takes the single functions (tf_admit, tf_settle), which scanned the same way until
  // migration 20261213000000.
  it.each(["any joins", "nested loops only", "one at a time"])(
    "a plan cached while the table was small reads only the batch's holds once it has grown (%s)",
    async (joins) => {
      const young = await createFreshDatabase();
      const pool = new pg.Pool({ connectionString: young.url, max: 2, types: bigintTypes });
      try {
        await pool.query(
          `INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ('o', 'o', now(), now())`,
        );
        await creditOrganization(pool, { organizationId: "o", amountNanos: 10n ** 15n, kind: "ADJUSTMENT" });
        const client = await pool.connect();
        try {
          // PL/pgSQL keeps a statement's generic plan once, after five calls, it costs no more than the
          // custom ones; a busy gateway's connections get there. Forced here, so the test does not depend
          // on the planner's cost comparison.
          await client.query("SET plan_cache_mode = force_generic_plan");
          // And, in a second round, without hash or merge joins: the planner's next choice must not read the table either.
          if (joins === "nested loops only")
            await client.query("SET enable_hashjoin = off; SET enable_mergejoin = off");
          // Rows of "Hold" this transaction read: by sequential scans, and fetched through its indexes (an
          // index scan counts its fetches on the index, a bitmap scan on the table).
          const holdRowsRead = async () => {
            const { rows } = await client.query<{ seq: string; idx: string }>(
              `SELECT pg_stat_get_xact_tuples_returned('"Hold"'::regclass) AS seq,
                    pg_stat_get_xact_tuples_fetched('"Hold"'::regclass)
                    + (SELECT sum(pg_stat_get_xact_tuples_fetched(indexrelid)) FROM pg_index
                        WHERE indrelid = '"Hold"'::regclass) AS idx`,
            );
            return { seq: Number(rows[0].seq), idx: Number(rows[0].idx) };
          };
          const single = joins === "one at a time";
          const billBatch = async (batch: number, size = 5) => {
            const ids = Array.from({ length: size }, (_, i) => `r${batch}_${i}`);
            if (single) {
              for (const id of ids)
                expect(
                  await admitHold(client, { requestId: id, organizationId: "o", apiKeyId: null, amountNanos: 1000n }),
                ).toBe("ok");
            } else {
              await client.query(`SELECT tf_admit_many('o', $1::jsonb)`, [
                JSON.stringify(ids.map((id) => ({ id, key: null, amount: "1000" }))),
              ]);
            }
            await client.query("BEGIN");
            const before = await holdRowsRead();
            const items = ids.map((id) => ({ requestId: id, costNanos: 600n, log: receipt(id, "o", "", "m", 200) }));
            const charges = single
              ? await Promise.all(items.map((s) => settleHold(client, s.requestId, s.costNanos, s.log)))
              : await settleHolds(client, "o", items);
            const after = await holdRowsRead();
            await client.query("COMMIT");
            expect(charges).toEqual(ids.map(() => 600n));
            return { seq: after.seq - before.seq, idx: after.idx - before.idx };
          };
          // The table is analyzed while it holds a few rows (as autovacuum or lib/db/maintenance.ts would on
          // a young database: the benchmark's plan was costed for 6), then the plans are cached.
          await billBatch(0, 1);
          await pool.query(`ANALYZE "Hold"`);
          for (let batch = 1; batch < 11; batch++) await billBatch(batch);
          // The table grows (a busy first minute; never analyzed), on another connection.
          await pool.query(
            `INSERT INTO "Hold" (id, "organizationId", "amountNanos", state, "chargedNanos", "createdAt", "resolvedAt")
           SELECT 'old_' || n, 'o', 100, 'SETTLED', 100, now(), now() FROM generate_series(1, 20000) n`,
          );
          const read = [];
          for (let batch = 11; batch < 14; batch++) read.push(await billBatch(batch));
          // No scan; by index, the batch's 5 holds, found to lock them and (depending on the plan) again to
          // update them: at most 10 rows of the 20,000. One at a time, tf_settle finds its hold three times
          // (its organization, the lock, the update): 15.
          for (const { seq, idx } of read) {
            expect(seq).toBe(0);
            expect(idx).toBeLessThanOrEqual(single ? 15 : 10);
          }
        } finally {
          client.release();
        }
      } finally {
        await pool.end();
        await young.drop();
      }
    },
  );
});

describe("per-organization batching", () => {
  it("a 1,000-way race on one organization admits exactly what the balance covers and settles to the nano", async () => {
    const orgId = await newTwin("race", 0n);
    await creditOrganization(db, { organizationId: orgId, amountNanos: 300_000n, kind: "ADJUSTMENT" });
    const billing = billingBatches(db);
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        billing.admit({ requestId: `race_${i}`, organizationId: orgId, apiKeyId: "open_race", amountNanos: 1_000n }),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(300);
    expect(results.filter((r) => r === "insufficient_quota")).toHaveLength(700);
    expect(billing.stats().admissions.batches).toBeGreaterThan(0);
    const admitted = results.flatMap((r, i) => (r === "ok" ? [i] : []));
    const charges = await Promise.all(
      admitted.map((i) =>
        billing.settle({
          organizationId: orgId,
          requestId: `race_${i}`,
          costNanos: BigInt(i),
          log: receipt(`race_${i}`, orgId, "open_race", "m", 200),
        }),
      ),
    );
    expect(charges).toEqual(admitted.map((i) => BigInt(i)));
    expect(billing.stats().settlements.batches).toBeGreaterThan(0);
    const spent = admitted.reduce((sum, i) => sum + BigInt(i), 0n);
    const { rows } = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
    expect(rows[0]).toEqual({ balanceNanos: 300_000n - spent, heldNanos: 0n });
    const receipts = await db.query(`SELECT count(*)::int AS n FROM "RequestLog" WHERE "organizationId" = $1`, [orgId]);
    expect(receipts.rows[0].n).toBe(300);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("settlements and admissions queued together go in one statement, settlements first", async () => {
    const orgId = await newTwin("mixed", 2_000n);
    await db.query(`SELECT tf_admit($1, $2, 'open_mixed', 1000)`, ["done", orgId]); // answered, not yet settled
    const billing = billingBatches(db);
    const inFlight = billing.admit({
      requestId: "x",
      organizationId: orgId,
      apiKeyId: "open_mixed",
      amountNanos: 1_000n,
    });
    // Queued behind it, so they go together: "done" frees its whole hold (it cost nothing), which is
    // what "next" needs. Were the admission run first, it would be refused.
    const settled = billing.settle({
      organizationId: orgId,
      requestId: "done",
      costNanos: 0n,
      log: receipt("done", orgId, "open_mixed", "m", 200),
    });
    const next = billing.admit({
      requestId: "next",
      organizationId: orgId,
      apiKeyId: "open_mixed",
      amountNanos: 1_000n,
    });
    expect(await inFlight).toBe("ok");
    expect(await settled).toBe(0n);
    expect(await next).toBe("ok");
    expect(billing.stats().mixed).toBe(1);
    const { rows } = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
    expect(rows[0]).toEqual({ balanceNanos: 0n, heldNanos: 2_000n });
    const holds = await db.query(`SELECT id, state::text FROM "Hold" WHERE "organizationId" = $1 ORDER BY id`, [orgId]);
    expect(holds.rows).toEqual([
      { id: "done", state: "SETTLED" },
      { id: "next", state: "HELD" },
      { id: "x", state: "HELD" },
    ]);
    const receipts = await db.query(`SELECT id FROM "RequestLog" WHERE "organizationId" = $1`, [orgId]);
    expect(receipts.rows).toEqual([{ id: "done" }]);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("one bad item does not fail its batch: the others are admitted one by one", async () => {
    const orgId = await newTwin("bad", 100_000n);
    await db.query(`SELECT tf_admit($1, $2, NULL, 10)`, ["taken", orgId]); // a hold with this id exists
    const billing = billingBatches(db);
    const first = billing.admit({ requestId: "first", organizationId: orgId, apiKeyId: null, amountNanos: 10n });
    const rest = ["a", "taken", "b"].map((id) =>
      billing.admit({ requestId: id, organizationId: orgId, apiKeyId: null, amountNanos: 10n }).catch((e: Error) => e),
    );
    expect(await first).toBe("ok");
    const [a, taken, b] = await Promise.all(rest);
    expect(a).toBe("ok");
    expect(taken).toBeInstanceOf(Error); // a duplicate request id is a bug, refused alone
    expect(b).toBe("ok");
    expect(billing.stats().admissions.batches).toBe(1);
    const { rows } = await db.query(`SELECT "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
    expect(rows[0].heldNanos).toBe(40n);
  });
});
