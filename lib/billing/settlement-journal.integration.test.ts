// Instances sharing one journal folder (the replicas of docker-compose.yml share their data volume):
// both replay the same entries at once, and every request is still charged exactly once, with one
// receipt, and nothing is reported as unreadable. A settlement that neither the database nor the
// journal took lands while the process lives, once either comes back.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { bigintTypes, closePool } from "@/lib/db/pool";
import { createFreshDatabase } from "@/test/database";
import { creditOrganization } from "./credits";
import { admitHold } from "./holds";
import type { RequestLogRow } from "./request-log";
import { SettlementJournal } from "./settlement-journal";

const ENTRIES = 40;
const HOLD = 1_000n;
const COST = 300n;

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let db: pg.Pool;
let dir: string;

beforeAll(async () => {
  database = await createFreshDatabase();
  process.env.DATABASE_URL = database.url; // the journal replays through the app's pool
  db = new pg.Pool({ connectionString: database.url, max: 4, types: bigintTypes });
  dir = mkdtempSync(path.join(tmpdir(), "tf-shared-journal-"));
});

afterAll(async () => {
  await closePool();
  await db?.end();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function receipt(id: string, organizationId: string, apiKeyId: string): RequestLogRow {
  return {
    id,
    organizationId,
    apiKeyId,
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
    holdNanos: HOLD,
    costNanos: COST,
    usageSource: "UPSTREAM",
    attempts: 1,
    latencyMs: 1,
    ttftMs: null,
    createdAt: new Date(),
    overageNanos: 0n,
    requestCount: 1,
  };
}

it("two instances replaying one folder charge each journaled request once", async () => {
  const orgId = "org_shared_journal";
  const keyId = "key_shared_journal";
  await createTenant(orgId, keyId);

  const first = new SettlementJournal(dir);
  const second = new SettlementJournal(dir);
  first.stop(); // no timed replays: the test replays by hand, both at once
  second.stop();
  for (let i = 0; i < ENTRIES; i++) {
    const requestId = `req_shared_${i}`;
    expect(await admitHold(db, { requestId, organizationId: orgId, apiKeyId: keyId, amountNanos: HOLD })).toBe("ok");
    await (i % 2 ? first : second).add({
      kind: "settle",
      requestId,
      costNanos: COST.toString(),
      log: receipt(requestId, orgId, keyId),
    });
  }
  expect(first.pending()).toHaveLength(ENTRIES);

  const errors = vi.spyOn(console, "error");
  try {
    // The second instance lists the folder while the first is a few entries ahead: it then meets
    // entries the first has landed and removed in the meantime, and replays some alongside it.
    const ahead = first.replay();
    while (first.pending().length > ENTRIES - 5) await new Promise((r) => setTimeout(r, 1));
    await Promise.all([ahead, second.replay()]);
    expect(errors).not.toHaveBeenCalled();
  } finally {
    errors.mockRestore();
  }
  expect(first.pending()).toEqual([]);

  const { rows } = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
  expect(rows[0]).toEqual({ balanceNanos: 1_000_000n - BigInt(ENTRIES) * COST, heldNanos: 0n });
  const receipts = await db.query(`SELECT count(*)::int AS n FROM "RequestLog" WHERE "organizationId" = $1`, [orgId]);
  expect(receipts.rows[0].n).toBe(ENTRIES);
});

async function createTenant(orgId: string, keyId: string) {
  await db.query(`INSERT INTO "Organization" (id, name, "createdAt", "updatedAt") VALUES ($1, $1, now(), now())`, [
    orgId,
  ]);
  await creditOrganization(db, { organizationId: orgId, amountNanos: 1_000_000n, kind: "ADJUSTMENT" });
  await db.query(
    `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey", "createdAt") VALUES ($1, $2, 'k', $1, 'tf-…', now())`,
    [keyId, orgId],
  );
}

it("a settlement neither the database nor the journal took lands while the process lives", async () => {
  const orgId = "org_stranded";
  const keyId = "key_stranded";
  await createTenant(orgId, keyId);
  const strandedDir = mkdtempSync(path.join(tmpdir(), "tf-stranded-journal-"));
  const journal = new SettlementJournal(strandedDir);
  journal.stop(); // replays by hand
  const requestId = "req_stranded";
  expect(await admitHold(db, { requestId, organizationId: orgId, apiKeyId: keyId, amountNanos: HOLD })).toBe("ok");
  const entry = {
    kind: "settle" as const,
    requestId,
    costNanos: COST.toString(),
    log: receipt(requestId, orgId, keyId),
  };
  const landed = vi.fn();
  const url = process.env.DATABASE_URL;
  // The journal cannot write this entry (a directory where its file goes) and the database refuses.
  const blocker = path.join(strandedDir, `${requestId}.settle.json.tmp`);
  mkdirSync(blocker);
  await expect(journal.add(entry)).rejects.toThrow();
  await closePool();
  process.env.DATABASE_URL = "postgresql://127.0.0.1:1/nowhere";
  try {
    journal.retryLater(entry, landed);
    await journal.replay();
    expect([journal.strandedIds(), journal.pending(), landed.mock.calls.length]).toEqual([[requestId], [], 0]);

    // The disk takes it again while the database is still away: journaled, no longer in memory.
    rmSync(blocker, { recursive: true });
    await journal.replay();
    expect([journal.strandedIds(), journal.pending(), landed.mock.calls.length]).toEqual([
      [],
      [`${requestId}.settle.json`],
      1,
    ]);
  } finally {
    await closePool();
    process.env.DATABASE_URL = url;
  }
  // The database is back: the journal lands it, charged once, with its receipt.
  await journal.replay();
  expect(journal.pending()).toEqual([]);
  const { rows } = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
  expect(rows[0]).toEqual({ balanceNanos: 1_000_000n - COST, heldNanos: 0n });
  const receipts = await db.query(`SELECT "costNanos" FROM "RequestLog" WHERE id = $1`, [requestId]);
  expect(receipts.rows).toEqual([{ costNanos: COST }]);
  rmSync(strandedDir, { recursive: true, force: true });
});

it("a stranded settlement is settled directly once the database answers again", async () => {
  const orgId = "org_stranded_direct";
  const keyId = "key_stranded_direct";
  await createTenant(orgId, keyId);
  const strandedDir = mkdtempSync(path.join(tmpdir(), "tf-stranded-direct-"));
  const journal = new SettlementJournal(strandedDir);
  journal.stop();
  const requestId = "req_stranded_direct";
  expect(await admitHold(db, { requestId, organizationId: orgId, apiKeyId: keyId, amountNanos: HOLD })).toBe("ok");
  const landed = vi.fn();
  journal.retryLater(
    { kind: "settle", requestId, costNanos: COST.toString(), log: receipt(requestId, orgId, keyId) },
    landed,
  );
  await journal.replay();
  expect([journal.strandedIds(), journal.pending(), landed.mock.calls.length]).toEqual([[], [], 1]);
  const { rows } = await db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [orgId]);
  expect(rows[0]).toEqual({ balanceNanos: 1_000_000n - COST, heldNanos: 0n });
  rmSync(strandedDir, { recursive: true, force: true });
});
