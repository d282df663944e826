// Chaos: hundreds of streams where clients leave, upstreams cut off and usage goes missing. Afterwards
// nothing is held, each request settled once, and the tokens billed are the tokens actually produced.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearRequests, getRequests } from "@/e2e/fake-upstream/client";
import { costNanos } from "@/lib/billing/money";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startStack, type Stack } from "./stack";

let stack: Stack;
const PRICES = { inputPriceNanos: 500_000_000n, outputPriceNanos: 2_000_000_000n, cachedInputPriceNanos: 500_000_000n };

beforeAll(async () => {
  stack = await startStack({ env: { DATABASE_POOL_SIZE: "20" } });
  await stack.admin.disableAllChannels();
  await stack.admin.createModel({
    id: "chaos-model",
    displayName: "Chaos",
    provider: "Test",
    inputPriceUsd: "0.5",
    outputPriceUsd: "2",
    contextWindow: 8192,
    maxOutputTokens: 200,
    defaultMaxOutputTokens: 100,
  });
  await stack.admin.createChannel({
    name: "fake",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-chaos",
    models: ["chaos-model"],
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

type Behaviour = "complete" | "complete-no-usage-asked" | "no-usage" | "upstream-cut" | "client-leaves" | "zero-usage";
const BEHAVIOURS: Behaviour[] = [
  "complete",
  "complete-no-usage-asked",
  "no-usage",
  "upstream-cut",
  "client-leaves",
  "zero-usage",
];

function seeded(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe("chaos", () => {
  it("300 streams with disconnects, cuts and missing usage leave the books exact", async () => {
    const org = await stack.admin.createOrganization("chaos", "100");
    const client = stack.sdk((await stack.admin.createKey(org.id)).key, { timeout: 60_000 });
    await clearRequests(stack.upstream.url);
    const random = seeded(42);

    const progress = new Map<string, string>(); // what each unfinished stream last did, for a hang report
    const hangReport = setTimeout(() => {
      console.error(
        `chaos: streams still open after 60 s:\n${[...progress].map(([t, p]) => `  ${t}: ${p}`).join("\n")}`,
      );
      console.error(`chaos: gateway log tail:\n${stack.app.logs().slice(-4000)}`);
      // What the upstream saw of the open ones (did our side close the upstream? did it finish?).
      void getRequests(stack.upstream.url).then((requests) => {
        for (const tag of progress.keys()) {
          const sent = requests.find((r) => r.body.user === tag);
          console.error(
            `chaos: upstream view of ${tag}: ${JSON.stringify({ status: sent?.status, tokensWritten: sent?.tokensWritten, closedEarly: sent?.closedEarly, finishedAt: sent?.finishedAt, closedAt: sent?.closedAt })}`,
          );
        }
      });
    }, 60_000);
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const behaviour = BEHAVIOURS[Math.floor(random() * BEHAVIOURS.length)];
        const length = 1 + Math.floor(random() * 40);
        const cutAt = Math.floor(random() * length); // may be 0: nothing produced
        const leaveAfter = 1 + Math.floor(random() * length);
        const tag = `chaos-${i}`;
        progress.set(tag, `${behaviour}: waiting for headers`);
        const fault = { "no-usage": "no-usage", "upstream-cut": `cut-after:${cutAt}`, "zero-usage": "zero-usage" }[
          behaviour as string
        ];
        const controller = new AbortController();
        // fake_* fields are the fake upstream's controls, passed through by the gateway untouched.
        const body = {
          model: "chaos-model",
          messages: [{ role: "user", content: `tell me ${length} words` }],
          stream: true,
          stream_options: behaviour === "complete-no-usage-asked" ? undefined : { include_usage: true },
          user: tag,
          fake_output_tokens: length,
          fake_chunk_delay_ms: 2,
          ...(fault ? { fake_fault: fault } : {}),
        } as OpenAI.ChatCompletionCreateParamsStreaming;
        const { data: stream, response } = await client.chat.completions
          .create(body, { signal: controller.signal })
          .withResponse();
        let read = 0;
        progress.set(tag, `${behaviour}: streaming (request ${response.headers.get("x-request-id")})`);
        let failed = false;
        try {
          for await (const chunk of stream) {
            if (chunk.choices[0]?.delta?.content) read++;
            progress.set(tag, `${behaviour}: read ${read} (request ${response.headers.get("x-request-id")})`);
            if (behaviour === "client-leaves" && read === leaveAfter) {
              // Leave for good: abort and stop reading. (Node 20's fetch never resolves a read that
              // follows an abort once the whole body had arrived — a client-side undici bug that a
              // client which keeps iterating after its own abort would hit with any server.)
              controller.abort();
              break;
            }
          }
        } catch {
          failed = true;
        }
        progress.delete(tag);
        return { tag, behaviour, requestId: response.headers.get("x-request-id")!, read, failed };
      }),
    ).finally(() => clearTimeout(hangReport));

    // Settlement of a stream the client left happens as the gateway notices; give it a moment.
    let held = -1n;
    for (let i = 0; i < 50 && held !== 0n; i++) {
      const { rows } = await stack.db.query(`SELECT "heldNanos" FROM "Organization" WHERE id = $1`, [org.id]);
      held = rows[0].heldNanos;
      if (held !== 0n) await new Promise((r) => setTimeout(r, 100));
    }
    expect(held).toBe(0n);

    const upstream = new Map((await getRequests(stack.upstream.url)).map((r) => [r.body.user as string, r]));
    const { rows: logs } = await stack.db.query(`SELECT * FROM "RequestLog" WHERE "organizationId" = $1`, [org.id]);
    const logById = new Map(logs.map((l) => [l.id as string, l]));
    const { rows: holds } = await stack.db.query(
      `SELECT id, state, "chargedNanos" FROM "Hold" WHERE "organizationId" = $1`,
      [org.id],
    );
    const { rows: ledger } = await stack.db.query(
      `SELECT reference, "amountNanos" FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'USAGE'`,
      [org.id],
    );

    // One settled hold per request; any other is one the key's pool admitted ahead and no request
    // took (lib/billing/hold-pool.ts): released, without a receipt or a charge.
    const settled = holds.filter((h) => h.state === "SETTLED");
    expect(settled).toHaveLength(300);
    const unused = holds.filter((h) => h.state !== "SETTLED");
    expect(unused.every((h) => h.state === "RELEASED" && !logById.has(h.id) && !(h.chargedNanos > 0n))).toBe(true);
    expect(logs).toHaveLength(300);
    expect(new Set(ledger.map((l) => l.reference)).size).toBe(ledger.length); // one entry per request at most
    expect(ledger.length).toBe(holds.filter((h) => h.chargedNanos > 0n).length);

    for (const outcome of outcomes) {
      const log = logById.get(outcome.requestId);
      const sent = upstream.get(outcome.tag);
      expect(log, outcome.requestId).toBeTruthy();
      expect(sent, outcome.tag).toBeTruthy();
      const produced = sent!.tokensWritten;
      if (outcome.behaviour === "client-leaves") {
        // The gateway stops the upstream when the client leaves; it bills what reached it.
        expect(log.outputTokens).toBeLessThanOrEqual(produced);
        expect(log.outputTokens).toBeGreaterThanOrEqual(outcome.read);
      } else if (outcome.behaviour === "zero-usage") {
        expect(log.outputTokens).toBe(0); // an explicit zero from the provider is zero
        expect(log.costNanos).toBe(0n);
      } else {
        expect(log.outputTokens, `${outcome.behaviour} ${outcome.tag}`).toBe(produced);
      }
      if (outcome.behaviour === "upstream-cut") expect(outcome.failed).toBe(true);
      if (outcome.behaviour.startsWith("complete")) expect(outcome.failed).toBe(false);
      if (produced === 0 && outcome.behaviour !== "client-leaves") expect(log.costNanos).toBe(0n); // nothing produced, nothing charged
      expect(log.costNanos).toBe(
        costNanos(
          { inputTokens: log.inputTokens, cachedInputTokens: log.cachedInputTokens, outputTokens: log.outputTokens },
          PRICES,
        ),
      );
      const expectedSource = {
        complete: "UPSTREAM",
        "complete-no-usage-asked": "UPSTREAM",
        "zero-usage": "UPSTREAM",
        "no-usage": "ESTIMATED",
        "upstream-cut": log.outputTokens > 0 ? "ESTIMATED" : "NONE",
        // a client that leaves after the last token may still see the upstream's usage arrive
        "client-leaves": log.usageSource === "UPSTREAM" ? "UPSTREAM" : "ESTIMATED",
      }[outcome.behaviour];
      expect(log.usageSource, `${outcome.behaviour} ${outcome.tag}`).toBe(expectedSource);
    }
    const billed = logs.reduce((sum, l) => sum + l.costNanos, 0n);
    expect(ledger.reduce((sum, l) => sum - l.amountNanos, 0n)).toBe(billed);
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
  }, 120_000);
});
