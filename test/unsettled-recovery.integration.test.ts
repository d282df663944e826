// The gateway answers before its settlement lands (lib/billing/meter.ts). A process killed in
// between must not make those requests free: the unsettled log it wrote before answering is read
// back by the next server on the same data folder, and each request is charged exactly once, at the
// cost its client was told. Here the database hangs after admission, so the settlements cannot land,
// and the server is killed (SIGKILL: no drain) while they wait. Non-streaming answers: a stream's
// closing events wait for its settlement (lib/gateway/relay/relay.ts).
import { readdirSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usdToNanos } from "@/lib/billing/money";
import { ORPHAN_AFTER_MS } from "@/lib/billing/unsettled-log";
import {
  booksOf,
  chat,
  expectBooksBalanced,
  expectProcessSurvived,
  journaled,
  startJournalStack,
  waitUntil,
  type JournalStack,
} from "./outage";

const MODEL = "unsettled-model";

let env: JournalStack;

beforeAll(async () => {
  env = await startJournalStack(MODEL);
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const unsettledDir = () => path.join(env.dataDir, "settlement-journal", "unsettled");
const segments = () => {
  try {
    return readdirSync(unsettledDir()).filter((f) => f.endsWith(".jsonl"));
  } catch {
    return [];
  }
};

describe("answered, then killed before the settlement landed", () => {
  it("the next server charges each request once, at the cost its client was told", async () => {
    const { stack, pgProxy } = env;
    const org = await stack.admin.createOrganization("unsettled-crash", "50");
    const { key } = await stack.admin.createKey(org.id);
    // Warm: one request settles normally, and leaves no segment behind once its second is over.
    expect((await chat(stack.app, key, MODEL, "warm")).status).toBe(200);
    await waitUntil(async () => segments().length === 0, 5_000, "the idle segment to be retired");

    // Four answers the upstream takes 1.5 s to give: admitted, then the database goes silent.
    const answers = Array.from({ length: 4 }, (_, i) =>
      fetch(`${stack.app.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: "user", content: `slow ${i}` }],
          fake_fault: "slow-first-byte:1500",
        }),
      }),
    );
    await waitUntil(
      async () => (await booksOf(stack.db, org.id)).heldHolds === 4,
      5_000,
      "the requests to be admitted",
    );
    await pgProxy.setMode("hang"); // their settlements will wait on a silent database
    const served = await Promise.all(
      answers.map(async (answer) => {
        const response = await answer;
        expect(response.status).toBe(200); // the client has its whole answer, cost included
        await response.json();
        return {
          requestId: response.headers.get("x-request-id")!,
          costNanos: usdToNanos(response.headers.get("x-tokenflow-cost-usd")!),
        };
      }),
    );
    for (const s of served) expect(s.costNanos).toBeGreaterThan(0n);
    expect(segments().length).toBeGreaterThan(0);
    expect(journaled(env.dataDir)).toHaveLength(0); // still waiting on the database, not journaled

    stack.app.process.kill("SIGKILL");
    await new Promise((resolve) => stack.app.process.once("exit", resolve));
    expect((await booksOf(stack.db, org.id)).heldHolds).toBe(4); // held, not charged, not lost
    // A minute passes (the segments' writer would have rotated them long ago were it alive).
    const past = (Date.now() - ORPHAN_AFTER_MS - 5_000) / 1000;
    for (const f of segments()) utimesSync(path.join(unsettledDir(), f), past, past);

    await pgProxy.setMode("pass");
    const restarted = await env.restart();
    await waitUntil(
      async () => (await booksOf(stack.db, org.id)).heldHolds === 0,
      15_000,
      "the unsettled requests to be recovered",
    );
    for (const s of served) {
      const { rows: usage } = await stack.db.query(
        `SELECT "amountNanos" FROM "LedgerEntry" WHERE reference = $1 AND kind = 'USAGE'`,
        [s.requestId],
      );
      const receipt = await stack.receipt(s.requestId);
      const { rows: hold } = await stack.db.query(`SELECT state, "chargedNanos" FROM "Hold" WHERE id = $1`, [
        s.requestId,
      ]);
      expect(usage.map((u) => -u.amountNanos)).toEqual([s.costNanos]);
      expect(receipt.costNanos).toBe(s.costNanos);
      expect(hold).toEqual([{ state: "SETTLED", chargedNanos: s.costNanos }]);
    }
    await expectBooksBalanced(stack.db);
    expect(restarted.logs()).toMatch(/recovered unsettled requests of a stopped process/);
    await waitUntil(async () => segments().length === 0, 5_000, "the recovered segments to be gone");
    expect((await chat(restarted, key, MODEL, "after-restart")).status).toBe(200);
    expectProcessSurvived(restarted);
  }, 60_000);
});
