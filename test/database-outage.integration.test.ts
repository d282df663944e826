// Postgres goes away under load (connections refused, or accepted and never answered) for 5 s while
// 32 clients keep calling /v1: every request that meets the outage gets a fast 503
// service_unavailable and never reaches an upstream, the process stays up, service comes back by
// itself, and the books balance with nothing left held.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearRequests, getRequests } from "@/e2e/fake-upstream/client";
import { usdToNanos } from "@/lib/billing/money";
import {
  booksOf,
  chat,
  chatStream,
  createFakeModel,
  expectBooksBalanced,
  expectProcessSurvived,
  journaled,
  percentile,
  sleep,
  startProxiedStack,
  streamedCostUsd,
  waitUntil,
  type Answer,
  type ProxiedStack,
} from "./outage";
import type { ProxyMode } from "./tcp-proxy";

const MODEL = "outage-model";
const CLIENTS = 32;
const OUTAGE_MS = 5_000;

let env: ProxiedStack;

beforeAll(async () => {
  env = await startProxiedStack();
  await createFakeModel(env.stack, MODEL);
}, 120_000);

afterAll(async () => {
  await env?.stack.stop();
  await env?.pgProxy.stop();
});

describe.each<ProxyMode>(["refuse", "hang"])("Postgres outage (%s)", (mode) => {
  it(`answers 503 within 2 s with no upstream call, then recovers by itself`, async () => {
    const { stack, pgProxy } = env;
    const org = await stack.admin.createOrganization(`outage-${mode}`, "100");
    const { key } = await stack.admin.createKey(org.id);
    await clearRequests(stack.upstream.url);
    expect((await chat(stack.app, key, MODEL, `${mode}-warm`)).status).toBe(200);

    const logsBefore = stack.app.logs().length;
    const answers: Answer[] = [];
    let stopped = false;
    let n = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (!stopped) {
        answers.push(await chat(stack.app, key, MODEL, `${mode}-${n++}`));
        await sleep(50);
      }
    });

    await sleep(800); // traffic flowing
    // Streams that end just after the outage begins: their settlements hold connections that will
    // never answer, with the settlement's long timeout, while everyone else queues for one.
    let streaming = 0;
    const streams = Array.from({ length: 12 }, () =>
      chatStream(stack.app, key, MODEL, { outputTokens: 10, chunkDelayMs: 50 }, () => streaming++),
    );
    await waitUntil(async () => streaming === streams.length, 5_000, "the streams to be admitted");
    await pgProxy.setMode(mode);
    const downAt = Date.now();
    await sleep(OUTAGE_MS);
    await pgProxy.setMode("pass");
    const upAt = Date.now();
    const recoveredAt = await waitUntil(
      async () => answers.some((a) => a.startedAt >= upAt && a.status === 200),
      10_000,
      "a successful request after the database returned",
    ).then(() => Math.min(...answers.filter((a) => a.startedAt >= upAt && a.status === 200).map((a) => a.endedAt)));
    await sleep(2_000); // steady again
    stopped = true;
    await Promise.all(clients);
    const streamed = await Promise.all(streams);

    const during = answers.filter((a) => a.startedAt >= downAt && a.startedAt < upAt);
    const answeredDuring = during.filter((a) => a.endedAt < upAt);
    const timesTo503 = answeredDuring.map((a) => a.ms);
    console.log(
      `[outage:${mode}] ${answers.length} requests, ${during.length} started during the ${OUTAGE_MS} ms outage; ` +
        `time to 503 p50 ${percentile(timesTo503, 50).toFixed(1)} ms, p99 ${percentile(timesTo503, 99).toFixed(1)} ms, ` +
        `max ${Math.max(...timesTo503).toFixed(1)} ms; service back ${Math.round(recoveredAt - upAt)} ms after the database`,
    );

    // Every request that met the outage: 503 service_unavailable in OpenAI's envelope, within 2 s.
    expect(answeredDuring.length).toBeGreaterThan(CLIENTS);
    for (const a of answeredDuring) {
      expect({ tag: a.tag, status: a.status, code: a.code, type: a.type }).toEqual({
        tag: a.tag,
        status: 503,
        code: "service_unavailable",
        type: "api_error",
      });
    }
    for (const a of during) expect(a.ms, a.tag).toBeLessThan(2_000);
    // Requests in flight as it began or ended are served or refused, never anything else.
    for (const a of answers) expect([200, 503], a.tag).toContain(a.status);
    // After it returns: everything is served again, without a restart.
    expect(recoveredAt - upAt).toBeLessThan(3_000);
    const steady = answers.filter((a) => a.startedAt > recoveredAt + 500);
    expect(steady.length).toBeGreaterThan(CLIENTS);
    expect(steady.filter((a) => a.status !== 200)).toEqual([]);

    // No upstream call for a refused request.
    const upstreamTags = new Set((await getRequests(stack.upstream.url)).map((r) => r.body?.user as string));
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.filter((a) => upstreamTags.has(a.tag)).map((a) => a.tag)).toEqual([]);

    // The books: journaled settlements and releases land, nothing stays held, each served request
    // is charged exactly once at its receipt's cost, each refused one not at all.
    await waitUntil(async () => journaled(stack.app.dataDir).length === 0, 30_000, "the journal to drain");
    const logs = stack.app.logs().slice(logsBefore);
    console.log(
      `[outage:${mode}] ${count(logs, /"msg":"settlement deferred/g)} settlement(s) deferred, ` +
        `${count(logs, /could not journal|could not be journaled/g)} not journaled, ` +
        `${count(logs, /"msg":"journaled settle landed/g)} journaled settlement(s) and ` +
        `${count(logs, /"msg":"journaled release landed/g)} release(s) landed`,
    );
    await waitUntil(async () => (await booksOf(stack.db, org.id)).heldNanos === 0n, 30_000, "held to return to 0");
    const books = await booksOf(stack.db, org.id);
    expect(books.heldHolds).toBe(0);
    expect(books.balanceNanos + books.heldNanos).toBe(books.ledgerSumNanos);
    expect(books.balanceNanos).toBeGreaterThan(0n);
    await expectBooksBalanced(stack.db);

    const { rows: usage } = await stack.db.query(
      `SELECT l.reference, l."amountNanos", r."costNanos" FROM "LedgerEntry" l
         LEFT JOIN "RequestLog" r ON r.id = l.reference
        WHERE l."organizationId" = $1 AND l.kind = 'USAGE'`,
      [org.id],
    );
    const usageByRequest = new Map<string, { amountNanos: bigint; costNanos: bigint | null }[]>();
    for (const u of usage) usageByRequest.set(u.reference, [...(usageByRequest.get(u.reference) ?? []), u]);
    const served = answers.filter((a) => a.status === 200);
    for (const a of served) {
      const entries = usageByRequest.get(a.requestId!) ?? [];
      expect(entries, a.tag).toHaveLength(1);
      expect(-entries[0].amountNanos, a.tag).toBe(entries[0].costNanos);
      expect(-entries[0].amountNanos, a.tag).toBe(usdToNanos(a.costUsd!));
      expect(entries[0].amountNanos < 0n, a.tag).toBe(true);
    }
    for (const a of refused) expect(usageByRequest.has(a.requestId!), a.tag).toBe(false);
    for (const s of streamed) {
      expect(s.status).toBe(200);
      const entries = usageByRequest.get(s.requestId!) ?? [];
      expect(entries, s.requestId!).toHaveLength(1);
      expect(-entries[0].amountNanos).toBe(entries[0].costNanos);
      expect(-entries[0].amountNanos).toBe(usdToNanos(streamedCostUsd(s.text)!));
    }
    // Only served requests, the streams and the warm-up were charged.
    expect(usage.length).toBe(served.length + streamed.length + 1);
    expectProcessSurvived(stack.app);
  }, 60_000);
});

describe("Postgres goes silent while settlements hold every connection", () => {
  it("still answers 503 within 2 s: waiting for a connection nobody gives back is an outage", async () => {
    const { stack, pgProxy } = env;
    // More streams than the pool has connections, all admitted and streaming, each of its own
    // organization: billing is batched per organization, so one organization's settlements take
    // one connection however many they are.
    const tenants = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const org = await stack.admin.createOrganization(`outage-stall-${i}`, "100");
        return { org, key: (await stack.admin.createKey(org.id)).key };
      }),
    );
    const { key } = tenants[0];
    let streaming = 0;
    const streams = tenants.map((t) =>
      chatStream(stack.app, t.key, MODEL, { outputTokens: 3, chunkDelayMs: 100 }, () => streaming++),
    );
    await waitUntil(async () => streaming === streams.length, 5_000, "the streams to be admitted");
    await pgProxy.setMode("hang");
    const downAt = Date.now();
    await sleep(500); // the streams end: their settlements take every connection and never hear back
    const answers = await Promise.all(Array.from({ length: 32 }, (_, i) => chat(stack.app, key, MODEL, `stall-${i}`)));
    const times = answers.map((a) => a.ms);
    console.log(
      `[outage:stall] time to 503 with every connection held: p50 ${percentile(times, 50).toFixed(1)} ms, ` +
        `max ${Math.max(...times).toFixed(1)} ms`,
    );
    for (const a of answers) expect([a.status, a.code, a.ms < 2_000]).toEqual([503, "service_unavailable", true]);
    await sleep(Math.max(0, downAt + 4_000 - Date.now()));
    await pgProxy.setMode("pass");

    const streamed = await Promise.all(streams);
    await waitUntil(async () => journaled(stack.app.dataDir).length === 0, 30_000, "the journal to drain");
    for (const t of tenants) {
      const books = await booksOf(stack.db, t.org.id);
      expect([books.heldNanos, books.heldHolds]).toEqual([0n, 0]);
      expect(books.balanceNanos + books.heldNanos).toBe(books.ledgerSumNanos);
    }
    for (const s of streamed) {
      const { rows } = await stack.db.query(
        `SELECT l."amountNanos", r."costNanos" FROM "LedgerEntry" l JOIN "RequestLog" r ON r.id = l.reference
          WHERE l.reference = $1 AND l.kind = 'USAGE'`,
        [s.requestId],
      );
      expect(rows).toHaveLength(1);
      expect(-rows[0].amountNanos).toBe(usdToNanos(streamedCostUsd(s.text)!));
    }
    expect((await chat(stack.app, key, MODEL, "stall-after")).status).toBe(200);
    expectProcessSurvived(stack.app);
  }, 60_000);
});

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}
