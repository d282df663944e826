// Settlements that cannot reach Postgres are journaled on disk and land once it returns: the
// request is charged exactly once (never free, never twice), its hold does not wait for the sweeper
// (whose TTL here is 30 minutes), and a journal survives the server being killed.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "./app-server";
import {
  booksOf,
  chat,
  chatStream,
  expectChargedOnce,
  expectBooksBalanced,
  expectProcessSurvived,
  journaled,
  startJournalStack,
  waitUntil,
  type JournalStack,
  type StreamAnswer,
} from "./outage";

const MODEL = "journal-model";
const LANDING_DEADLINE_MS = 30_000;

let env: JournalStack;

beforeAll(async () => {
  env = await startJournalStack(MODEL);
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

/** Streams admitted (first chunk read) before the caller cuts the database. */
async function startStreams(app: AppServer, key: string, count: number, outputTokens: number, chunkDelayMs: number) {
  let streaming = 0;
  const streams = Array.from({ length: count }, () =>
    chatStream(app, key, MODEL, { outputTokens, chunkDelayMs }, () => streaming++),
  );
  await waitUntil(async () => streaming === count, 5_000, "the streams to be admitted");
  return streams;
}

async function settledCount(db: pg.Pool, streamed: StreamAnswer[]): Promise<number> {
  const { rows } = await db.query(`SELECT COUNT(*)::INT AS n FROM "Hold" WHERE id = ANY($1) AND state = 'SETTLED'`, [
    streamed.map((s) => s.requestId),
  ]);
  return rows[0].n;
}

describe("settlement journal", () => {
  it("streams whose settlement met a refused database are charged once, soon after it returns", async () => {
    const { stack, pgProxy } = env;
    const org = await stack.admin.createOrganization("journal-streams", "50");
    const { key } = await stack.admin.createKey(org.id);
    const streams = await startStreams(stack.app, key, 8, 20, 50);
    await pgProxy.setMode("refuse");
    const streamed = await Promise.all(streams); // complete for the client, usage and cost included
    // Settled after the answer: the refused settlements are journaled a moment later.
    await waitUntil(async () => journaled(stack.app.dataDir).length === 8, 5_000, "the settlements to be journaled");
    const during = await booksOf(stack.db, org.id);
    expect(during.heldHolds).toBe(8); // nothing landed yet: the money is still held, not lost

    await pgProxy.setMode("pass");
    const landedInMs = await waitUntil(
      async () => (await settledCount(stack.db, streamed)) === streamed.length,
      LANDING_DEADLINE_MS,
      "the journaled settlements to land",
    );
    console.log(`[journal] 8 journaled settlements landed ${landedInMs} ms after the database returned`);
    await expectChargedOnce(stack.db, streamed);
    const books = await booksOf(stack.db, org.id);
    expect([books.heldNanos, books.heldHolds]).toEqual([0n, 0]);
    expect(books.balanceNanos + books.heldNanos).toBe(books.ledgerSumNanos);
    await waitUntil(async () => journaled(stack.app.dataDir).length === 0, 5_000, "the journal to be empty");
    expect(stack.app.logs()).not.toMatch(/released \d+ orphaned hold/); // not the sweeper's doing
    // No request came since the database returned: the first burst is served all the same.
    const burst = await Promise.all(Array.from({ length: 16 }, (_, i) => chat(stack.app, key, MODEL, `burst-${i}`)));
    expect(burst.map((a) => a.status)).toEqual(burst.map(() => 200));
    expectProcessSurvived(stack.app);
  }, 60_000);

  it("survives the server being killed: the next server on the same data folder lands it", async () => {
    const { stack, pgProxy } = env;
    const org = await stack.admin.createOrganization("journal-restart", "50");
    const { key } = await stack.admin.createKey(org.id);
    const streams = await startStreams(stack.app, key, 4, 20, 100);
    await pgProxy.setMode("hang");
    // A request meets the silent database first, so the gate fails the settlements fast.
    expect((await chat(stack.app, key, MODEL, "restart-probe")).status).toBe(503);
    const streamed = await Promise.all(streams);
    await waitUntil(async () => journaled(env.dataDir).length >= 4, 15_000, "the settlements to be journaled");

    stack.app.process.kill("SIGKILL");
    await new Promise((resolve) => stack.app.process.once("exit", resolve));
    expect((await booksOf(stack.db, org.id)).heldHolds).toBe(4);
    await pgProxy.setMode("pass");
    const upAt = Date.now();
    const restarted = await env.restart();
    const startedInMs = Date.now() - upAt;
    await waitUntil(
      async () => (await settledCount(stack.db, streamed)) === streamed.length,
      LANDING_DEADLINE_MS - startedInMs,
      "the journaled settlements to land after the restart",
    );
    console.log(
      `[journal] after SIGKILL: the next server was up ${startedInMs} ms and the 4 settlements landed ` +
        `${Date.now() - upAt} ms after the database returned`,
    );
    await expectChargedOnce(stack.db, streamed);
    const books = await booksOf(stack.db, org.id);
    expect([books.heldNanos, books.heldHolds]).toEqual([0n, 0]);
    await expectBooksBalanced(stack.db);
    await waitUntil(async () => journaled(env.dataDir).length === 0, 5_000, "the journal to be empty");
    expect((await chat(restarted, key, MODEL, "after-restart")).status).toBe(200);
    expectProcessSurvived(restarted);
  }, 60_000);
});
