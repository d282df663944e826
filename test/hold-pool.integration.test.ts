// Pre-admitted holds (lib/billing/hold-pool.ts) through the real stack: a busy key's requests take
// holds admitted ahead; the books stay exact; what the pool keeps goes back when idle and at drain;
// keys with a spend limit and organizations with a small balance never pool.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { DATABASE_POOL_SIZE: "20" } });
  await stack.admin.disableAllChannels();
  // Every answer is exactly 10 output tokens at $1 per 1M, input free: 10,000 nano-USD each; a
  // hold for max_tokens 20 is 20,000.
  await stack.admin.createModel({
    id: "pool-model",
    displayName: "Pool",
    provider: "Test",
    inputPriceUsd: "0",
    outputPriceUsd: "1",
    contextWindow: 8192,
    maxOutputTokens: 100,
    defaultMaxOutputTokens: 20,
  });
  await stack.admin.createChannel({ name: "fake", baseUrl: stack.upstream.baseUrl, models: ["pool-model"] });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** `total` requests, `concurrency` at a time; answers each request's x-request-id. */
async function burst(client: OpenAI, total: number, concurrency: number, stream = false): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const body = {
          model: "pool-model",
          messages: [{ role: "user" as const, content: "go" }],
          max_tokens: 20,
          fake_output_tokens: 10,
        };
        if (stream) {
          const { data, response } = await client.chat.completions.create({ ...body, stream: true }).withResponse();
          for await (const chunk of data) void chunk;
          ids.push(response.headers.get("x-request-id")!);
        } else {
          const { response } = await client.chat.completions.create(body).withResponse();
          ids.push(response.headers.get("x-request-id")!);
        }
      }
    }),
  );
  return ids;
}

async function holds(organizationId: string) {
  const { rows } = await stack.db.query(
    `SELECT h.state, count(*)::int AS n, count(r.id)::int AS receipts, sum(h."amountNanos")::bigint AS amount
       FROM "Hold" h LEFT JOIN "RequestLog" r ON r.id = h.id
      WHERE h."organizationId" = $1 GROUP BY h.state`,
    [organizationId],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r])) as Record<
    string,
    { n: number; receipts: number; amount: bigint } | undefined
  >;
}

async function books(organizationId: string) {
  const { rows } = await stack.db.query(
    `SELECT o."balanceNanos" AS balance, o."heldNanos" AS held,
            (SELECT COALESCE(sum("amountNanos"), 0) FROM "LedgerEntry" WHERE "organizationId" = o.id)::bigint AS ledger,
            (SELECT COALESCE(sum("costNanos"), 0) FROM "RequestLog" WHERE "organizationId" = o.id)::bigint AS receipts
       FROM "Organization" o WHERE o.id = $1`,
    [organizationId],
  );
  return rows[0] as { balance: bigint; held: bigint; ledger: bigint; receipts: bigint };
}

describe("pre-admitted holds", () => {
  it("a busy key's requests run on holds admitted ahead, charged exactly; the pool goes back once idle", async () => {
    const org = await stack.admin.createOrganization("busy", "100"); // $100: the pool may reserve 1/1000
    const client = stack.sdk((await stack.admin.createKey(org.id)).key);
    const ids = [...(await burst(client, 300, 4)), ...(await burst(client, 100, 4, true))];
    expect(new Set(ids).size).toBe(400);
    await stack.settled(org.id); // waits out the idle pool too
    const state = await holds(org.id);
    // Every request settled on its own hold, named by its request id; the holds the pool admitted
    // and nobody took were released, without a receipt. Some were taken: fewer holds were admitted
    // in requests' own names than there were requests.
    expect(state.SETTLED).toMatchObject({ n: 400, receipts: 400 });
    expect(state.HELD).toBeUndefined();
    expect(state.RELEASED?.receipts ?? 0).toBe(0);
    expect(state.RELEASED?.n ?? 0).toBeGreaterThan(0);
    const b = await books(org.id);
    expect(b.held).toBe(0n);
    expect(b.receipts).toBe(400n * 10_000n);
    expect(b.balance).toBe(100_000_000_000n - 400n * 10_000n);
    expect(b.ledger).toBe(b.balance);
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
    for (const id of ids.slice(0, 5)) expect((await stack.receipt(id)).costNanos).toBe(10_000n);
  });

  it("never pools for a key with a spend limit, nor for an organization whose balance is small", async () => {
    const limited = await stack.admin.createOrganization("limited", "100");
    const limitedClient = stack.sdk((await stack.admin.createKey(limited.id, { spendLimitUsd: "50" })).key);
    const small = await stack.admin.createOrganization("small", "0.01"); // 1/1000 of it is less than one hold
    const smallClient = stack.sdk((await stack.admin.createKey(small.id)).key);
    await Promise.all([burst(limitedClient, 150, 4), burst(smallClient, 150, 4)]);
    for (const org of [limited, small]) {
      await stack.settled(org.id);
      const state = await holds(org.id);
      expect(state.SETTLED).toMatchObject({ n: 150, receipts: 150 });
      expect(state.RELEASED).toBeUndefined();
      expect(state.HELD).toBeUndefined();
    }
  });

  it("an admission refused for money while the pool holds the organization's money gets it back and is admitted", async () => {
    const org = await stack.admin.createOrganization("squeezed", "100");
    const busy = stack.sdk((await stack.admin.createKey(org.id)).key);
    const other = stack.sdk((await stack.admin.createKey(org.id)).key);
    await burst(busy, 200, 4);
    // The burst's settlements land; the pool's holds stay. Then the organization spends all but
    // half a hold elsewhere: only the pooled money could pay for one more request.
    await new Promise((r) => setTimeout(r, 200));
    const before = await books(org.id);
    const pooled = (await holds(org.id)).HELD;
    expect(pooled?.amount ?? 0n).toBeGreaterThanOrEqual(20_000n);
    await stack.db.query(`SELECT tf_credit($1, $2, 'ADJUSTMENT', $3, 'spent elsewhere', NULL)`, [
      org.id,
      -(before.balance - 10_000n),
      `squeeze-${org.id}`,
    ]);
    const body = {
      model: "pool-model",
      messages: [{ role: "user" as const, content: "go" }],
      max_tokens: 20,
      fake_output_tokens: 10,
    };
    const { response } = await other.chat.completions.create(body).withResponse();
    expect(response.status).toBe(200);
    await stack.settled(org.id);
    const after = await books(org.id);
    expect(after.held).toBe(0n);
    expect(after.balance).toBe(10_000n + pooled!.amount - 10_000n);
    expect(after.ledger).toBe(after.balance);
  });

  it("the server's drain gives back what the pool holds, without waiting for it to go idle", async () => {
    const org = await stack.admin.createOrganization("drained", "100");
    const client = stack.sdk((await stack.admin.createKey(org.id)).key);
    await burst(client, 200, 4);
    const pooled = await holds(org.id);
    expect(pooled.HELD?.n ?? 0).toBeGreaterThan(0); // the pool, right after the burst
    await stack.app.stop(); // SIGTERM: drains
    const state = await holds(org.id);
    expect(state.HELD).toBeUndefined();
    expect(state.SETTLED).toMatchObject({ n: 200, receipts: 200 });
    const b = await books(org.id);
    expect(b.held).toBe(0n);
    expect(b.ledger).toBe(b.balance);
  });
});
