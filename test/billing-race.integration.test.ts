// Overdraft races through the real stack: 1,000 concurrent requests on a balance that covers 100.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearRequests, getStats } from "@/e2e/fake-upstream/client";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { DATABASE_POOL_SIZE: "20" } });
  await stack.admin.disableAllChannels();
  // Input is free and every answer is exactly max_tokens long, so each request's actual cost
  // equals its hold: 10 output tokens × $1 per 1M = 10,000 nano-USD.
  await stack.admin.createModel({
    id: "race-model",
    displayName: "Race",
    provider: "Test",
    inputPriceUsd: "0",
    outputPriceUsd: "1",
    contextWindow: 8192,
    maxOutputTokens: 100,
    defaultMaxOutputTokens: 10,
  });
  await stack.admin.createChannel({
    name: "fake",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-race",
    models: ["race-model"],
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function orgState(id: string) {
  const { rows } = await stack.db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [id]);
  return rows[0] as { balanceNanos: bigint; heldNanos: bigint };
}

async function race(opts: { keys: number; stream: boolean; outputTokens: number; requests?: number }) {
  const org = await stack.admin.createOrganization(`race ${JSON.stringify(opts)}`, "0.001"); // 1,000,000 nano-USD
  const clients: OpenAI[] = [];
  for (let i = 0; i < opts.keys; i++)
    clients.push(stack.sdk((await stack.admin.createKey(org.id)).key, { timeout: 120_000 }));
  await clearRequests(stack.upstream.url);

  const results = await Promise.all(
    Array.from({ length: opts.requests ?? 1000 }, async (_, i) => {
      const body = {
        model: "race-model",
        messages: [{ role: "user" as const, content: "go" }],
        max_tokens: 10,
        fake_output_tokens: opts.outputTokens,
      };
      try {
        if (opts.stream) {
          const stream = await clients[i % clients.length].chat.completions.create({ ...body, stream: true });
          let content = "";
          for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
          return content.length > 0 ? 200 : -1;
        }
        await clients[i % clients.length].chat.completions.create(body);
        return 200;
      } catch (err) {
        if (err instanceof OpenAI.APIError) {
          expect(err.headers?.get?.("x-should-retry") ?? "false").toBe("false");
          return err.status ?? -1;
        }
        throw err;
      }
    }),
  );
  return { org, results, upstreamRequests: (await getStats(stack.upstream.url)).total };
}

describe("overdraft race", () => {
  for (const [label, keys, stream] of [
    ["non-streaming, one key", 1, false],
    ["streaming, one key", 1, true],
    ["non-streaming, 4 keys of one organization", 4, false],
  ] as const) {
    it(`${label}: exactly 100 of 1,000 succeed and the balance ends at 0`, async () => {
      const { org, results, upstreamRequests } = await race({ keys, stream, outputTokens: 10 });
      expect(results.filter((s) => s === 200)).toHaveLength(100);
      expect(results.filter((s) => s === 402)).toHaveLength(900);
      expect(upstreamRequests).toBe(100);
      expect(await orgState(org.id)).toEqual({ balanceNanos: 0n, heldNanos: 0n });
      expect(await findLedgerMismatches(stack.db)).toEqual([]);
      const { rows } = await stack.db.query(
        `SELECT count(*)::int AS n, COALESCE(sum("amountNanos"), 0)::bigint AS total FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'USAGE'`,
        [org.id],
      );
      expect(rows[0]).toEqual({ n: 100, total: -1_000_000n });
    });
  }

  it("when actual costs are below the holds: no oversell, and spend = successes × actual cost exactly", async () => {
    const { org, results, upstreamRequests } = await race({ keys: 1, stream: false, outputTokens: 4 });
    const successes = results.filter((s) => s === 200).length;
    expect(successes).toBeGreaterThanOrEqual(100);
    expect(successes + results.filter((s) => s === 402).length).toBe(1000);
    expect(upstreamRequests).toBe(successes);
    const state = await orgState(org.id);
    expect(state.heldNanos).toBe(0n);
    expect(state.balanceNanos).toBe(1_000_000n - BigInt(successes) * 4_000n);
    expect(state.balanceNanos >= 0n).toBe(true);
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
  });
});
