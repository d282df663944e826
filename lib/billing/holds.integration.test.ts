// Admission, settlement, release and credits against real Postgres: the money functions on their own.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigintTypes } from "@/lib/db/pool";
import { createFreshDatabase } from "@/test/database";
import { admitHold, releaseHold, settleHold, settleHolds } from "./holds";
import { BalanceTooLowError, creditOrganization } from "./credits";
import { findLedgerMismatches } from "./reconcile";
import { pruneResolvedHolds, sweepOrphanedHolds } from "./sweeper";
import type { RequestLogRow } from "./request-log";
import { applyMemberSpendLimit } from "@/lib/organizations/members";

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

let counter = 0;
async function newOrg(balanceNanos: bigint, spendLimitNanos: bigint | null = null) {
  const id = `org_${++counter}_${Date.now()}`;
  await db.query(`INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ($1, $1, now(), now())`, [id]);
  if (balanceNanos > 0n)
    await creditOrganization(db, { organizationId: id, amountNanos: balanceNanos, kind: "ADJUSTMENT" });
  const keyId = `key_${id}`;
  await db.query(
    `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey", "spendLimitNanos", "createdAt") VALUES ($1, $2, 'k', $1, 'tf-…', $3, now())`,
    [keyId, id, spendLimitNanos?.toString() ?? null],
  );
  return { orgId: id, keyId };
}

async function org(id: string) {
  const { rows } = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [id]);
  return rows[0] as { balanceNanos: bigint; heldNanos: bigint };
}

function log(id: string, orgId: string, keyId: string): RequestLogRow {
  return {
    id,
    organizationId: orgId,
    apiKeyId: keyId,
    endpoint: "chat.completions",
    modelRequested: "m",
    modelRouted: "m",
    upstreamModel: null,
    channelId: null,
    routeReason: null,
    isStream: false,
    status: 200,
    errorCode: null,
    inputTokens: 1,
    cachedInputTokens: 0,
    outputTokens: 1,
    inputPriceNanos: 1n,
    cachedInputPriceNanos: 1n,
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

describe("admission", () => {
  it("never oversells under concurrency: exactly balance / hold admissions succeed", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        admitHold(db, { requestId: `adm_${orgId}_${i}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 10n }),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(100);
    expect(results.filter((r) => r === "insufficient_quota")).toHaveLength(100);
    expect(await org(orgId)).toEqual({ balanceNanos: 0n, heldNanos: 1_000n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("enforces a key's spend cap in the same step, holding nothing when refused", async () => {
    const { orgId, keyId } = await newOrg(10_000n, 50n);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        admitHold(db, { requestId: `cap_${orgId}_${i}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 10n }),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(5);
    expect(results.filter((r) => r === "key_spend_limit")).toHaveLength(15);
    expect(await org(orgId)).toEqual({ balanceNanos: 9_950n, heldNanos: 50n });
  });
});

describe("settlement", () => {
  it("charges the cost, releases the rest and writes one ledger entry and one receipt", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    expect(
      await admitHold(db, { requestId: `s1_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 300n }),
    ).toBe("ok");
    expect(await settleHold(db, `s1_${orgId}`, 120n, log(`s1_${orgId}`, orgId, keyId))).toBe(120n);
    expect(await org(orgId)).toEqual({ balanceNanos: 880n, heldNanos: 0n });
    const { rows: receipts } = await db.query(`SELECT "costNanos", "holdNanos" FROM "RequestLog" WHERE id = $1`, [
      `s1_${orgId}`,
    ]);
    expect(receipts).toEqual([{ costNanos: 120n, holdNanos: 300n }]);
    const { rows: key } = await db.query(`SELECT "spentNanos", "heldNanos" FROM "ApiKey" WHERE id = $1`, [keyId]);
    expect(key[0]).toEqual({ spentNanos: 120n, heldNanos: 0n });
  });

  it("is idempotent: 10 concurrent replays settle once", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    const id = `s2_${orgId}`;
    await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 500n });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => settleHold(db, id, 200n, log(id, orgId, keyId))),
    );
    expect(results.filter((r) => r !== null)).toEqual([200n]);
    expect(await org(orgId)).toEqual({ balanceNanos: 800n, heldNanos: 0n });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM "LedgerEntry" WHERE kind = 'USAGE' AND reference = $1`,
      [id],
    );
    expect(rows[0].n).toBe(1);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("charges a cost above the hold in full, as an overage on the receipt, and nothing for zero cost", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    await admitHold(db, { requestId: `s4_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 100n });
    expect(await settleHold(db, `s4_${orgId}`, 0n, log(`s4_${orgId}`, orgId, keyId))).toBe(0n);
    await admitHold(db, { requestId: `s3_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 100n });
    expect(await settleHold(db, `s3_${orgId}`, 5_000n, log(`s3_${orgId}`, orgId, keyId))).toBe(5_000n);
    // The balance goes below zero by the overage only; the next admission is refused until a top-up.
    expect(await org(orgId)).toEqual({ balanceNanos: -4_000n, heldNanos: 0n });
    const { rows } = await db.query(`SELECT "costNanos", "holdNanos", "overageNanos" FROM "RequestLog" WHERE id = $1`, [
      `s3_${orgId}`,
    ]);
    expect(rows).toEqual([{ costNanos: 5_000n, holdNanos: 100n, overageNanos: 4_900n }]);
    const { rows: key } = await db.query(`SELECT "spentNanos", "heldNanos" FROM "ApiKey" WHERE id = $1`, [keyId]);
    expect(key[0]).toEqual({ spentNanos: 5_000n, heldNanos: 0n });
    expect(
      await admitHold(db, { requestId: `s5_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 1n }),
    ).toBe("insufficient_quota");
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("a settlement racing the sweeper's release charges exactly once, whichever runs first", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    for (let i = 0; i < 20; i++) {
      const id = `race_${orgId}_${i}`;
      await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 10n });
      await Promise.all([settleHold(db, id, 7n, log(id, orgId, keyId)), releaseHold(db, id)]);
      // A replay (the settlement journal retrying) changes nothing.
      expect(await settleHold(db, id, 7n, log(id, orgId, keyId))).toBeNull();
    }
    expect(await org(orgId)).toEqual({ balanceNanos: 1_000n - 20n * 7n, heldNanos: 0n });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM "LedgerEntry" WHERE kind = 'USAGE' AND "organizationId" = $1`,
      [orgId],
    );
    expect(rows[0].n).toBe(20);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("settles a hold the sweeper already released: late, but never free", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    const id = `late_${orgId}`;
    await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 300n });
    expect(await releaseHold(db, id)).toBe(true);
    expect(await org(orgId)).toEqual({ balanceNanos: 1_000n, heldNanos: 0n });
    expect(await settleHold(db, id, 120n, log(id, orgId, keyId))).toBe(120n);
    expect(await org(orgId)).toEqual({ balanceNanos: 880n, heldNanos: 0n });
    const { rows: key } = await db.query(`SELECT "spentNanos", "heldNanos" FROM "ApiKey" WHERE id = $1`, [keyId]);
    expect(key[0]).toEqual({ spentNanos: 120n, heldNanos: 0n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });
});

describe("sweeper", () => {
  it("releases orphaned holds exactly once, even with concurrent sweepers", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    for (let i = 0; i < 30; i++)
      await admitHold(db, {
        requestId: `orph_${orgId}_${i}`,
        organizationId: orgId,
        apiKeyId: keyId,
        amountNanos: 10n,
      });
    await new Promise((r) => setTimeout(r, 50));
    const released = await Promise.all([
      sweepOrphanedHolds(db, 10),
      sweepOrphanedHolds(db, 10),
      sweepOrphanedHolds(db, 10),
    ]);
    expect(released.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM "Hold" WHERE "organizationId" = $1 AND state = 'RELEASED'`,
      [orgId],
    );
    expect(rows[0].n).toBe(30);
    expect(await org(orgId)).toEqual({ balanceNanos: 1_000n, heldNanos: 0n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("one instance sweeps at a time: a sweep while another holds the sweep lock skips its round", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    for (let i = 0; i < 5; i++)
      await admitHold(db, {
        requestId: `lock_${orgId}_${i}`,
        organizationId: orgId,
        apiKeyId: keyId,
        amountNanos: 10n,
      });
    await new Promise((r) => setTimeout(r, 50));
    const other = await db.connect(); // another instance, mid-sweep
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_advisory_xact_lock($1::bigint)", [0x74662d7377656570n.toString()]);
      expect(await sweepOrphanedHolds(db, 10)).toBe(0);
      expect(await org(orgId)).toEqual({ balanceNanos: 950n, heldNanos: 50n });
      await other.query("COMMIT");
    } finally {
      other.release();
    }
    expect(await sweepOrphanedHolds(db, 10)).toBeGreaterThanOrEqual(5);
    expect(await org(orgId)).toEqual({ balanceNanos: 1_000n, heldNanos: 0n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });
});

describe("retention", () => {
  const DAY_MS = 86_400_000;
  const backdate = (ids: string[], days: number) =>
    db.query(`UPDATE "Hold" SET "createdAt" = "createdAt" - make_interval(days => $2) WHERE id = ANY($1)`, [ids, days]);
  const existing = async (ids: string[]) =>
    (await db.query<{ id: string }>(`SELECT id FROM "Hold" WHERE id = ANY($1) ORDER BY id`, [ids])).rows.map(
      (r) => r.id,
    );

  it("deletes resolved holds past the retention, never an open one, and a replay still charges nothing", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    const [settledOld, releasedOld, heldOld, settledNew] = ["a", "b", "c", "d"].map((x) => `ret_${x}_${orgId}`);
    for (const id of [settledOld, releasedOld, heldOld, settledNew])
      await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 100n });
    expect(await settleHold(db, settledOld, 40n, log(settledOld, orgId, keyId))).toBe(40n);
    expect(await releaseHold(db, releasedOld)).toBe(true);
    expect(await settleHold(db, settledNew, 30n, log(settledNew, orgId, keyId))).toBe(30n);
    await backdate([settledOld, releasedOld, heldOld], 40);

    // One row per batch, so the loop runs through both states.
    expect(await pruneResolvedHolds(db, 30 * DAY_MS, { batch: 1 })).toBe(2);
    expect(await existing([settledOld, releasedOld, heldOld, settledNew])).toEqual([heldOld, settledNew].sort());
    expect(await org(orgId)).toEqual({ balanceNanos: 1_000n - 100n - 70n, heldNanos: 100n });

    // Past the retention a settlement finds no hold: a replay of the settled one is not charged twice,
    // and the released one's very late settlement is not charged at all (the documented trade-off).
    expect(await settleHold(db, settledOld, 40n, log(settledOld, orgId, keyId))).toBeNull();
    expect(await settleHold(db, releasedOld, 40n, log(releasedOld, orgId, keyId))).toBeNull();
    expect(await org(orgId)).toEqual({ balanceNanos: 830n, heldNanos: 100n });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "RequestLog" WHERE "organizationId" = $1`, [orgId]);
    expect(rows[0].n).toBe(2); // the receipts stay
    expect(await findLedgerMismatches(db)).toEqual([]);
    // The open hold, once resolved, goes at the next prune.
    expect(await releaseHold(db, heldOld)).toBe(true);
    expect(await pruneResolvedHolds(db, 30 * DAY_MS)).toBe(1);
    expect(await existing([heldOld])).toEqual([]);
    expect(await org(orgId)).toEqual({ balanceNanos: 930n, heldNanos: 0n });
  });

  it("concurrent prunes share the work and skip a hold a settlement has locked, without waiting", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    const ids = Array.from({ length: 12 }, (_, i) => `ret_many_${i}_${orgId}`);
    for (const id of ids) {
      await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 10n });
      expect(await settleHold(db, id, 5n, log(id, orgId, keyId))).toBe(5n);
    }
    await backdate(ids, 31);
    const settlement = await db.connect(); // a late settlement holding the first hold's row lock
    try {
      await settlement.query("BEGIN");
      await settlement.query(`SELECT id FROM "Hold" WHERE id = $1 FOR UPDATE`, [ids[0]]);
      const pruned = await Promise.all([1, 2, 3].map(() => pruneResolvedHolds(db, 30 * DAY_MS, { batch: 2 })));
      expect(pruned.reduce((a, b) => a + b, 0)).toBe(11);
      expect(await existing(ids)).toEqual([ids[0]]);
    } finally {
      await settlement.query("COMMIT");
      settlement.release();
    }
    expect(await pruneResolvedHolds(db, 30 * DAY_MS)).toBe(1);
    expect(await existing(ids)).toEqual([]);
    expect(await org(orgId)).toEqual({ balanceNanos: 1_000n - 60n, heldNanos: 0n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });
});

describe("credits", () => {
  it("applies a credit once per reference and never takes the balance below zero", async () => {
    const { orgId } = await newOrg(0n);
    expect(
      await creditOrganization(db, {
        organizationId: orgId,
        amountNanos: 500n,
        kind: "TOPUP",
        reference: `cs_${orgId}`,
      }),
    ).toBe(500n);
    expect(
      await creditOrganization(db, {
        organizationId: orgId,
        amountNanos: 500n,
        kind: "TOPUP",
        reference: `cs_${orgId}`,
      }),
    ).toBe(500n);
    await expect(
      creditOrganization(db, { organizationId: orgId, amountNanos: -501n, kind: "ADJUSTMENT" }),
    ).rejects.toBeInstanceOf(BalanceTooLowError);
    expect(await creditOrganization(db, { organizationId: orgId, amountNanos: -500n, kind: "ADJUSTMENT" })).toBe(0n);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("a top-up lands on a balance an overage made negative, even when it does not cover it all", async () => {
    const { orgId, keyId } = await newOrg(100n);
    const id = `neg_${orgId}`;
    await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 100n });
    await settleHold(db, id, 600n, log(id, orgId, keyId)); // an upstream billed past the cap
    expect(await org(orgId)).toEqual({ balanceNanos: -500n, heldNanos: 0n });
    expect(
      await creditOrganization(db, { organizationId: orgId, amountNanos: 300n, kind: "TOPUP", reference: `p_${id}` }),
    ).toBe(-200n);
    await expect(
      creditOrganization(db, { organizationId: orgId, amountNanos: -1n, kind: "ADJUSTMENT" }),
    ).rejects.toBeInstanceOf(BalanceTooLowError);
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("the reconciliation finds a balance changed outside the ledger", async () => {
    const { orgId } = await newOrg(100n);
    await db.query(`UPDATE "Organization" SET "balanceNanos" = "balanceNanos" + 1 WHERE id = $1`, [orgId]);
    const mismatches = await findLedgerMismatches(db);
    expect(mismatches.map((m) => m.organizationId)).toContain(orgId);
    await db.query(`UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - 1 WHERE id = $1`, [orgId]);
  });
});

describe("periodic key caps", () => {
  it("a daily cap counts only today's spend, holds included, and starts afresh the next day", async () => {
    const { orgId, keyId } = await newOrg(10_000n, 500n);
    await db.query(`UPDATE "ApiKey" SET "spendLimitPeriod" = 'DAILY' WHERE id = $1`, [keyId]);
    const admit = (id: string, amount: bigint) =>
      admitHold(db, { requestId: `${id}_${keyId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: amount });
    expect(await admit("d1", 300n)).toBe("ok");
    expect(await admit("d2", 300n)).toBe("key_spend_limit"); // 300 held + 300 > 500
    await settleHold(db, `d1_${keyId}`, 250n, log(`d1_${keyId}`, orgId, keyId));
    expect(await admit("d3", 250n)).toBe("ok"); // 250 spent + 250 = 500
    await settleHold(db, `d3_${keyId}`, 250n, log(`d3_${keyId}`, orgId, keyId));
    expect(await admit("d4", 1n)).toBe("key_spend_limit");
    // The day ends: yesterday's spend no longer counts against today's cap, the total still counts it.
    await db.query(`UPDATE "ApiKey" SET "periodStartsAt" = "periodStartsAt" - interval '1 day' WHERE id = $1`, [keyId]);
    expect(await admit("d5", 500n)).toBe("ok");
    const { rows } = await db.query(
      `SELECT "spentNanos", "periodSpentNanos", "heldNanos" FROM "ApiKey" WHERE id = $1`,
      [keyId],
    );
    expect(rows[0]).toEqual({ spentNanos: 500n, periodSpentNanos: 0n, heldNanos: 500n });
    await settleHold(db, `d5_${keyId}`, 100n, log(`d5_${keyId}`, orgId, keyId));
    const { rows: after } = await db.query(`SELECT "spentNanos", "periodSpentNanos" FROM "ApiKey" WHERE id = $1`, [
      keyId,
    ]);
    expect(after[0]).toEqual({ spentNanos: 600n, periodSpentNanos: 100n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("never lets concurrent requests pass a periodic cap together", async () => {
    const { orgId, keyId } = await newOrg(1_000_000n, 1_000n);
    await db.query(`UPDATE "ApiKey" SET "spendLimitPeriod" = 'MONTHLY' WHERE id = $1`, [keyId]);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admitHold(db, { requestId: `m${i}_${keyId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 100n }),
      ),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(10);
    expect(results.filter((r) => r === "key_spend_limit")).toHaveLength(40);
  });
});

describe("a receipt's hold", () => {
  it("is the request's own bound, not a larger pooled hold that paid for it, alone and in a batch", async () => {
    const { orgId, keyId } = await newOrg(100_000n);
    // Holds of 1,000 admitted ahead (lib/billing/hold-pool.ts), taken by requests bounded at 300.
    for (const id of ["alone", "batched", "within"])
      expect(
        await admitHold(db, {
          requestId: `${id}_${orgId}`,
          organizationId: orgId,
          apiKeyId: keyId,
          amountNanos: 1_000n,
        }),
      ).toBe("ok");
    const bounded = (id: string) => ({ ...log(`${id}_${orgId}`, orgId, keyId), holdNanos: 300n });
    expect(await settleHold(db, `alone_${orgId}`, 500n, bounded("alone"))).toBe(500n);
    expect(
      await settleHolds(db, orgId, [
        { requestId: `batched_${orgId}`, costNanos: 500n, log: bounded("batched") },
        { requestId: `within_${orgId}`, costNanos: 200n, log: bounded("within") },
      ]),
    ).toEqual([500n, 200n]);
    const { rows } = await db.query(
      `SELECT id, "costNanos", "holdNanos", "overageNanos" FROM "RequestLog" WHERE "organizationId" = $1 ORDER BY id`,
      [orgId],
    );
    expect(rows).toEqual([
      { id: `alone_${orgId}`, costNanos: 500n, holdNanos: 300n, overageNanos: 200n },
      { id: `batched_${orgId}`, costNanos: 500n, holdNanos: 300n, overageNanos: 200n },
      { id: `within_${orgId}`, costNanos: 200n, holdNanos: 300n, overageNanos: 0n },
    ]);
    // The money follows the holds: charged the cost, the rest of each 1,000 released.
    expect(await org(orgId)).toEqual({ balanceNanos: 100_000n - 1_200n, heldNanos: 0n });
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("is never more than the hold, whatever the log says", async () => {
    const { orgId, keyId } = await newOrg(100_000n);
    await admitHold(db, { requestId: `big_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 400n });
    await settleHold(db, `big_${orgId}`, 500n, { ...log(`big_${orgId}`, orgId, keyId), holdNanos: 9_999n });
    const { rows } = await db.query(`SELECT "holdNanos", "overageNanos" FROM "RequestLog" WHERE id = $1`, [
      `big_${orgId}`,
    ]);
    expect(rows[0]).toEqual({ holdNanos: 400n, overageNanos: 100n });
  });
});

describe("member monthly caps", () => {
  async function memberKey(orgId: string, capNanos: bigint | null) {
    const userId = `user_${orgId}`;
    await db.query(`INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $1 || '@example.test', now())`, [userId]);
    await db.query(
      `INSERT INTO "Membership" (id, "userId", "organizationId", role, "monthlySpendLimitNanos") VALUES ($1, $2, $3, 'MEMBER', $4)`,
      [`mem_${orgId}`, userId, orgId, capNanos?.toString() ?? null],
    );
    const keyId = `mkey_${orgId}`;
    await db.query(
      `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey", "createdAt") VALUES ($1, $2, $3, 'k', $1, 'tf-…', now())`,
      [keyId, orgId, userId],
    );
    return { userId, keyId };
  }

  it("holds and charges against the member's month, refuses past the cap, across all their keys", async () => {
    const { orgId } = await newOrg(100_000n);
    const { userId, keyId } = await memberKey(orgId, 1_000n);
    const admit = (id: string, amount: bigint) =>
      admitHold(db, { requestId: `${id}_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: amount });
    expect(await admit("a", 800n)).toBe("ok");
    expect(await admit("b", 300n)).toBe("member_spend_limit");
    await settleHold(db, `a_${orgId}`, 600n, log(`a_${orgId}`, orgId, keyId));
    expect(await admit("c", 400n)).toBe("ok");
    await settleHold(db, `c_${orgId}`, 400n, log(`c_${orgId}`, orgId, keyId));
    expect(await admit("d", 1n)).toBe("member_spend_limit");
    const { rows } = await db.query(
      `SELECT "monthSpentNanos", "monthHeldNanos" FROM "Membership" WHERE "userId" = $1 AND "organizationId" = $2`,
      [userId, orgId],
    );
    expect(rows[0]).toEqual({ monthSpentNanos: 1_000n, monthHeldNanos: 0n });
    // Next month the member starts afresh.
    await db.query(
      `UPDATE "Membership" SET "monthStartsAt" = "monthStartsAt" - interval '1 month' WHERE "userId" = $1`,
      [userId],
    );
    expect(await admit("e", 1_000n)).toBe("ok");
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  async function month(userId: string) {
    const { rows } = await db.query(
      `SELECT "monthSpentNanos" AS spent, "monthHeldNanos" AS held FROM "Membership" WHERE "userId" = $1`,
      [userId],
    );
    return rows[0] as { spent: bigint; held: bigint };
  }

  it("a cap set while the member's requests are in flight counts them when they settle", async () => {
    const { orgId } = await newOrg(100_000n);
    const { userId, keyId } = await memberKey(orgId, null);
    const admit = (id: string, amount: bigint) =>
      admitHold(db, { requestId: `${id}_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: amount });
    expect(await admit("done", 2_000n)).toBe("ok");
    await settleHold(db, `done_${orgId}`, 1_500n, log(`done_${orgId}`, orgId, keyId));
    expect(await admit("a", 5_000n)).toBe("ok");
    expect(await admit("b", 3_000n)).toBe("ok");
    expect(await applyMemberSpendLimit(db, orgId, `mem_${orgId}`, 10_000n)).toBe(true);
    expect(await month(userId)).toEqual({ spent: 1_500n, held: 8_000n });
    await settleHold(db, `a_${orgId}`, 4_000n, log(`a_${orgId}`, orgId, keyId));
    expect(await releaseHold(db, `b_${orgId}`)).toBe(true);
    expect(await month(userId)).toEqual({ spent: 5_500n, held: 0n });
    expect(await admit("c", 4_501n)).toBe("member_spend_limit");
    expect(await admit("d", 4_500n)).toBe("ok");
    expect(await findLedgerMismatches(db)).toEqual([]);
  });

  it("a cap set while one of those requests is settling counts its charge once", async () => {
    const { orgId } = await newOrg(100_000n);
    const { userId, keyId } = await memberKey(orgId, null);
    expect(
      await admitHold(db, { requestId: `s_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 5_000n }),
    ).toBe("ok");
    // The settlement holds the hold's row (uncommitted) while the cap is set: the cap waits for it,
    // then must count its charge in the month (and not hold its amount).
    const settling = await db.connect();
    let capped: Promise<boolean> | undefined;
    try {
      await settling.query("BEGIN");
      await settleHold(settling, `s_${orgId}`, 4_000n, log(`s_${orgId}`, orgId, keyId));
      capped = applyMemberSpendLimit(db, orgId, `mem_${orgId}`, 10_000n);
      for (let i = 0; ; i++) {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE "Hold" h SET "memberUserId"%'`,
        );
        if (rows[0].n === 1) break;
        if (i > 200) throw new Error("the cap never waited for the settlement");
        await new Promise((r) => setTimeout(r, 10));
      }
      await settling.query("COMMIT");
    } finally {
      settling.release();
    }
    expect(await capped).toBe(true);
    expect(await month(userId)).toEqual({ spent: 4_000n, held: 0n });
    const { rows } = await db.query(`SELECT "memberUserId" FROM "Hold" WHERE id = $1`, [`s_${orgId}`]);
    expect(rows[0].memberUserId).toBeNull();
  });

  it("a member without a cap is not held, and a released hold frees the member's month", async () => {
    const { orgId } = await newOrg(100_000n);
    const { keyId, userId } = await memberKey(orgId, null);
    expect(
      await admitHold(db, { requestId: `n_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 5_000n }),
    ).toBe("ok");
    const { rows } = await db.query(`SELECT "memberUserId" FROM "Hold" WHERE id = $1`, [`n_${orgId}`]);
    expect(rows[0].memberUserId).toBeNull();
    await db.query(`UPDATE "Membership" SET "monthlySpendLimitNanos" = 10000 WHERE "userId" = $1`, [userId]);
    await admitHold(db, { requestId: `r_${orgId}`, organizationId: orgId, apiKeyId: keyId, amountNanos: 4_000n });
    expect(await releaseHold(db, `r_${orgId}`)).toBe(true);
    const { rows: member } = await db.query(`SELECT "monthHeldNanos" FROM "Membership" WHERE "userId" = $1`, [userId]);
    expect(member[0].monthHeldNanos).toBe(0n);
  });
});

describe("usage rollups and low-balance alerts", () => {
  it("settlement adds every request to its day's rollup, which equals the ledger", async () => {
    const { orgId, keyId } = await newOrg(1_000_000n);
    for (let i = 0; i < 12; i++) {
      const id = `u${i}_${orgId}`;
      await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: 1_000n });
      await settleHold(db, id, BigInt(100 + i), {
        ...log(id, orgId, keyId),
        modelRouted: i % 2 ? "m-odd" : "m-even",
        inputTokens: 10,
        outputTokens: 2,
        status: i === 0 ? 502 : 200,
      });
    }
    const { rows } = await db.query(
      `SELECT model, requests, "failedRequests", "inputTokens", "costNanos" FROM "UsageDaily" WHERE "organizationId" = $1 ORDER BY model`,
      [orgId],
    );
    expect(rows).toEqual([
      {
        model: "m-even",
        requests: 6,
        failedRequests: 1,
        inputTokens: 60n,
        costNanos: 100n + 102n + 104n + 106n + 108n + 110n,
      },
      {
        model: "m-odd",
        requests: 6,
        failedRequests: 0,
        inputTokens: 60n,
        costNanos: 101n + 103n + 105n + 107n + 109n + 111n,
      },
    ]);
    const { rows: ledger } = await db.query(
      `SELECT -sum("amountNanos")::bigint AS spent FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'USAGE'`,
      [orgId],
    );
    expect(ledger[0].spent).toBe(rows.reduce((sum, r) => sum + r.costNanos, 0n));
  });

  it("notes a low-balance alert once per crossing of the owner's threshold", async () => {
    const { orgId, keyId } = await newOrg(1_000n);
    await db.query(`UPDATE "Organization" SET "lowBalanceThresholdNanos" = 500 WHERE id = $1`, [orgId]);
    const spend = async (i: number, cost: bigint) => {
      const id = `lb${i}_${orgId}`;
      await admitHold(db, { requestId: id, organizationId: orgId, apiKeyId: keyId, amountNanos: cost });
      await settleHold(db, id, cost, log(id, orgId, keyId));
    };
    const alerts = async () =>
      (await db.query(`SELECT data FROM "Notification" WHERE "organizationId" = $1 AND kind = 'LOW_BALANCE'`, [orgId]))
        .rows;
    await spend(1, 400n); // 600 left: above
    expect(await alerts()).toHaveLength(0);
    await spend(2, 200n); // 400: crossed
    await spend(3, 100n); // 300: still below, no second alert
    expect(await alerts()).toEqual([{ data: { fundsNanos: "400", thresholdNanos: "500" } }]);
    await creditOrganization(db, {
      organizationId: orgId,
      amountNanos: 1_000n,
      kind: "TOPUP",
      reference: `t_${orgId}`,
    });
    await spend(4, 900n); // 1,300 → 400: crossed again
    expect(await alerts()).toHaveLength(2);
  });
});
