// Settlement rules end to end: failover charges once, failures are free (SDK retries included),
// prices are those at admission, receipts are complete, and a crash leaves no money held.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, setScenario } from "@/e2e/fake-upstream/client";
import { nanosToUsd } from "@/lib/billing/money";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startAppServer } from "./app-server";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let orgId: string;
let client: OpenAI;
const METRICS_TOKEN = "settlement-test-metrics";

beforeAll(async () => {
  stack = await startStack({
    env: {
      TOKENFLOW_HOLD_TTL_MS: "3000",
      TOKENFLOW_SWEEP_INTERVAL_MS: "500",
      TOKENFLOW_METRICS_TOKEN: METRICS_TOKEN,
    },
  });
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({
    name: "A",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-a",
    models: ["gpt-4o", "deepseek-v3"],
    priority: 10,
  });
  await stack.admin.createChannel({
    name: "B",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-b",
    models: ["gpt-4o", "deepseek-v3"],
    priority: 0,
  });
  orgId = (await stack.admin.createOrganization("settle", "50")).id;
  client = stack.sdk((await stack.admin.createKey(orgId)).key);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

// The fake reports 1,000 prompt tokens: the prompt must really be that long, or the hold (a true
// upper bound of the prompt) would cap the charge.
const LONG_PROMPT = "word ".repeat(1000);

async function usageEntries() {
  const { rows } = await stack.db.query(
    `SELECT reference, "amountNanos" FROM "LedgerEntry" WHERE "organizationId" = $1 AND kind = 'USAGE'`,
    [orgId],
  );
  return rows as Array<{ reference: string; amountNanos: bigint }>;
}

/** The value of the first /metrics line starting with `series` (name and labels), 0 while it has none. */
async function metric(series: string): Promise<number> {
  const res = await fetch(`${stack.app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const line = (await res.text()).split("\n").find((l) => l.startsWith(series));
  return line ? Number(line.split(" ").pop()) : 0;
}

async function balance() {
  const { rows } = await stack.db.query(`SELECT "balanceNanos", "heldNanos" FROM "Organization" WHERE id = $1`, [
    orgId,
  ]);
  return rows[0] as { balanceNanos: bigint; heldNanos: bigint };
}

describe("settlement", () => {
  it("a request that failed over is charged once, at the serving channel's usage", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: "chan-a" }, fault: "status:502", times: 1 });
    const before = (await usageEntries()).length;
    const { data, response } = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "once" }], fake_fault: "usage:100,20" } as never)
      .withResponse();
    const requestId = response.headers.get("x-request-id")!;
    await stack.receipt(requestId); // lands just after the answer
    const entries = await usageEntries();
    expect(entries.length).toBe(before + 1);
    // gpt-4o: 100 × $2.50/1M + 20 × $10/1M = 250,000 + 200,000 nano-USD
    expect(entries.find((e) => e.reference === requestId)?.amountNanos).toBe(-450_000n);
    expect((data.usage as unknown as { cost_usd: string }).cost_usd).toBe("0.00045");
    const { rows } = await stack.db.query(`SELECT * FROM "RequestLog" WHERE id = $1`, [requestId]);
    expect(rows[0]).toMatchObject({
      modelRequested: "gpt-4o",
      modelRouted: "gpt-4o",
      upstreamModel: "gpt-4o",
      status: 200,
      inputTokens: 100,
      outputTokens: 20,
      inputPriceNanos: 2_500_000_000n,
      outputPriceNanos: 10_000_000_000n,
      costNanos: 450_000n,
      usageSource: "UPSTREAM",
      attempts: 2,
      isStream: false,
    });
    expect(rows[0].latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("when every channel fails nothing is charged, including the SDK's own retries", async () => {
    await setScenario(stack.upstream.url, { fault: "status:500" });
    const before = await balance();
    const entries = (await usageEntries()).length;
    const retrying = stack.sdk((await stack.admin.createKey(orgId)).key, { maxRetries: 2 });
    await expect(
      retrying.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    expect((await getRequests(stack.upstream.url)).length).toBe(6); // 3 SDK attempts × 2 channels
    await stack.settled(orgId);
    expect(await balance()).toEqual(before);
    expect((await usageEntries()).length).toBe(entries);
  });

  it("a request is billed at the prices it was admitted with", async () => {
    const stream = (await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: LONG_PROMPT }],
      stream: true,
      max_tokens: 10,
      fake_output_tokens: 10,
      fake_chunk_delay_ms: 100,
      fake_fault: "usage:1000,10",
    } as never)) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk> & { response: Response };
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // admitted and streaming
    await stack.admin.updateModel("deepseek-v3", { inputPriceUsd: "1.00" });
    while (!(await iterator.next()).done);
    await stack.settled(orgId);
    const { rows } = await stack.db.query(
      `SELECT "inputPriceNanos", "costNanos" FROM "RequestLog" WHERE "modelRouted" = 'deepseek-v3' ORDER BY "createdAt" DESC LIMIT 1`,
    );
    // 1000 × $0.14/1M + 10 × $0.28/1M = 140,000 + 2,800
    expect(rows[0]).toEqual({ inputPriceNanos: 140_000_000n, costNanos: 142_800n });
    await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: LONG_PROMPT }],
      fake_fault: "usage:1000,10",
    } as never);
    await stack.settled(orgId);
    const { rows: after } = await stack.db.query(
      `SELECT "inputPriceNanos", "costNanos" FROM "RequestLog" WHERE "modelRouted" = 'deepseek-v3' ORDER BY "createdAt" DESC LIMIT 1`,
    );
    expect(after[0]).toEqual({ inputPriceNanos: 1_000_000_000n, costNanos: 1_002_800n });
    await stack.admin.updateModel("deepseek-v3", { inputPriceUsd: "0.14" });
  });

  it("refused requests leave a receipt and hold nothing; 402 carries x-should-retry: false", async () => {
    const poor = await stack.admin.createOrganization("poor");
    const key = (await stack.admin.createKey(poor.id)).key;
    const res = await fetch(`${stack.app.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(402);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(await res.json()).toMatchObject({ error: { type: "insufficient_quota", code: "insufficient_quota" } });
    const { rows } = await stack.db.query(`SELECT status, "errorCode", "costNanos" FROM "RequestLog" WHERE id = $1`, [
      res.headers.get("x-request-id"),
    ]);
    expect(rows[0]).toEqual({ status: 402, errorCode: "insufficient_quota", costNanos: 0n });
    expect(await getRequests(stack.upstream.url)).toHaveLength(0);
  });

  it("an admission refused for a hold this instance is about to release asks again once it is released", async () => {
    // A key whose spend limit leaves room for one request's hold, not two, but for two requests' real
    // costs: the second request is refused only while the first's hold is still held. Its admission
    // is made to run after the first has answered and before that answer's settlement has landed:
    // the organization's row is locked while the second admission waits on it, and the first answers
    // meanwhile, so its settlement queues behind the blocked admission. The admission then finds the
    // key's room taken by the old hold, and must ask again once the settlement this instance owes has
    // landed. (A refusal for the balance itself does not wait on the row: tf_admit's update skips it.)
    const send = (key: string, fault: string) =>
      fetch(`${stack.app.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "gpt-4o",
          max_tokens: 1000,
          messages: [{ role: "user", content: "x" }],
          fake_fault: fault,
        }),
      });
    const admissionRetries = () => metric('tokenflow_admission_retries_total{result="ok"}');
    const until = async (check: () => Promise<boolean>, what: string) => {
      for (const start = Date.now(); !(await check());) {
        if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const org = await stack.admin.createOrganization("key-room", "5");

    // The hold of such a request, read off a probe on a key without a limit.
    const probe = await send((await stack.admin.createKey(org.id)).key, "usage:10,5");
    expect(probe.status).toBe(200);
    await stack.settled(org.id);
    const { rows: holds } = await stack.db.query(`SELECT "amountNanos" FROM "Hold" WHERE id = $1`, [
      probe.headers.get("x-request-id"),
    ]);
    const hold = holds[0].amountNanos as bigint;
    expect(hold).toBeGreaterThan(1_000_000n);

    const limited = await stack.admin.createKey(org.id, { spendLimitUsd: nanosToUsd((hold * 3n) / 2n) });
    const keyHeld = async () =>
      (await stack.db.query(`SELECT "heldNanos" FROM "ApiKey" WHERE id = $1`, [limited.id])).rows[0]
        .heldNanos as bigint;
    const retriesBefore = await admissionRetries();
    const first = send(limited.key, "slow-first-byte:800;usage:10,5");
    await until(async () => (await keyHeld()) === hold, "the first admission");

    const lock = await stack.db.connect();
    let second: Promise<Response>;
    try {
      await lock.query("BEGIN");
      await lock.query(`SELECT 1 FROM "Organization" WHERE id = $1 FOR UPDATE`, [org.id]);
      second = send(limited.key, "usage:10,5");
      await until(async () => {
        const { rows } = await stack.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows[0].n > 0;
      }, "the second admission to wait on the organization's row");
      expect((await first).status).toBe(200); // answered; its settlement now waits behind the blocked admission
      await lock.query("COMMIT");
    } finally {
      lock.release();
    }

    const answer = await second;
    expect(answer.status).toBe(200);
    // It was refused once and asked again (not merely queued behind the settlement).
    expect(await admissionRetries()).toBe(retriesBefore + 1);
    await stack.settled(org.id);
    // gpt-4o: 10 × $2.50/1M + 5 × $10/1M = 25,000 + 50,000 nano-USD, for each request
    const { rows: keys } = await stack.db.query(`SELECT "heldNanos", "spentNanos" FROM "ApiKey" WHERE id = $1`, [
      limited.id,
    ]);
    expect(keys[0]).toEqual({ heldNanos: 0n, spentNanos: 150_000n });
    const { rows: receipts } = await stack.db.query(
      `SELECT status, "costNanos" FROM "RequestLog" WHERE "apiKeyId" = $1 ORDER BY "createdAt"`,
      [limited.id],
    );
    expect(receipts).toEqual([
      { status: 200, costNanos: 75_000n },
      { status: 200, costNanos: 75_000n },
    ]);
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
  });

  it("a settlement that finds no open hold is logged and counted, never silent", async () => {
    // The database loses a request's admission while the request runs (as a failover to a replica
    // that had not received the commit would): the hold and what it reserved are undone together.
    const org = await stack.admin.createOrganization("lost-hold", "5");
    const { key } = await stack.admin.createKey(org.id);
    const unmatched = () => metric("tokenflow_settlements_unmatched_total");
    const before = await unmatched();
    const answer = fetch(`${stack.app.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o",
        messages: [{ role: "user", content: "x" }],
        fake_fault: "slow-first-byte:800;usage:10,5",
      }),
    });
    let holdId: string | undefined;
    for (const start = Date.now(); !holdId && Date.now() - start < 5000;) {
      const { rows } = await stack.db.query(`SELECT id FROM "Hold" WHERE "organizationId" = $1 AND state = 'HELD'`, [
        org.id,
      ]);
      holdId = rows[0]?.id;
      if (!holdId) await new Promise((r) => setTimeout(r, 5));
    }
    expect(holdId, "the request's hold").toBeDefined();
    const lost = await stack.db.connect();
    try {
      await lost.query("BEGIN");
      const { rows } = await lost.query(`DELETE FROM "Hold" WHERE id = $1 RETURNING "amountNanos", "apiKeyId"`, [
        holdId,
      ]);
      const { amountNanos, apiKeyId } = rows[0];
      await lost.query(
        `UPDATE "Organization" SET "heldNanos" = "heldNanos" - $2, "balanceNanos" = "balanceNanos" + $2 WHERE id = $1`,
        [org.id, amountNanos],
      );
      await lost.query(`UPDATE "ApiKey" SET "heldNanos" = "heldNanos" - $2 WHERE id = $1`, [apiKeyId, amountNanos]);
      await lost.query("COMMIT");
    } finally {
      lost.release();
    }

    const res = await answer;
    expect(res.status).toBe(200); // the answer was served; only its charge is lost
    expect(res.headers.get("x-request-id")).toBe(holdId);
    await stack.settled(org.id);
    expect(await unmatched()).toBe(before + 1);
    const line = stack.app
      .logs()
      .split("\n")
      .find((l) => l.includes(holdId!) && l.includes("settlement found no open hold"));
    expect(line, "the error line").toBeDefined();
    // gpt-4o: 10 × $2.50/1M + 5 × $10/1M: what was not charged, for whoever reconciles it by hand.
    expect(JSON.parse(line!)).toMatchObject({ level: "error", organizationId: org.id, costNanos: "75000" });
    const { rows: ledger } = await stack.db.query(`SELECT 1 FROM "LedgerEntry" WHERE reference = $1`, [holdId]);
    expect(ledger).toEqual([]);
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
  });
});

describe("hold retention", () => {
  it("the running sweep deletes settled holds past the retention, and keeps recent ones and the receipts", async () => {
    const org = await stack.admin.createOrganization("retention", "5");
    const sdk = stack.sdk((await stack.admin.createKey(org.id)).key);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { response } = await sdk.chat.completions
        .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
        .withResponse();
      ids.push(response.headers.get("x-request-id")!);
    }
    await stack.settled(org.id);
    const holds = async () =>
      (
        await stack.db.query<{ id: string; state: string }>(
          `SELECT id, state FROM "Hold" WHERE "organizationId" = $1 ORDER BY id`,
          [org.id],
        )
      ).rows;
    expect(await holds()).toEqual(ids.map((id) => ({ id, state: "SETTLED" })).sort((a, b) => (a.id < b.id ? -1 : 1)));

    // The first request is now 31 days old (the default retention is 30); the sweep runs every 500 ms.
    await stack.db.query(`UPDATE "Hold" SET "createdAt" = "createdAt" - interval '31 days' WHERE id = $1`, [ids[0]]);
    for (const start = Date.now(); (await holds()).length > 1;) {
      if (Date.now() - start > 5000) throw new Error("the sweep did not delete the old hold");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await holds()).toEqual([{ id: ids[1], state: "SETTLED" }]);
    const { rows } = await stack.db.query(`SELECT id FROM "RequestLog" WHERE id = ANY($1) ORDER BY id`, [ids]);
    expect(rows.map((r) => r.id)).toEqual([...ids].sort());
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
  });
});

describe("stream time limit", () => {
  it("cuts a stream that would outlive its hold and bills what was produced, before any sweep", async () => {
    // The hold TTL is 3 s here, so streams are cut at 1.5 s; this one would take 5 s.
    const { data: stream, response } = await client.chat.completions
      .create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "long" }],
        stream: true,
        max_tokens: 50,
        fake_output_tokens: 50,
        fake_chunk_delay_ms: 100,
      } as never)
      .withResponse();
    let received = 0;
    const error = await (async () => {
      for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
        if (chunk.choices[0]?.delta?.content) received++;
      }
    })().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(received).toBeGreaterThan(5);
    expect(received).toBeLessThan(50);
    await stack.receipt(response.headers.get("x-request-id")!);
    const { rows } = await stack.db.query(`SELECT state FROM "Hold" WHERE id = $1`, [
      response.headers.get("x-request-id"),
    ]);
    expect(rows[0].state).toBe("SETTLED"); // settled by the gateway, not released by the sweeper
    const { rows: receipt } = await stack.db.query(
      `SELECT "outputTokens", "usageSource" FROM "RequestLog" WHERE id = $1`,
      [response.headers.get("x-request-id")],
    );
    expect(receipt[0].usageSource).toBe("ESTIMATED");
    expect(receipt[0].outputTokens).toBeGreaterThanOrEqual(received);
  });
});

describe("crash recovery", () => {
  it("holds orphaned by a killed server are released once by the sweeper after restart", async () => {
    const before = await balance();
    const streams = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          client.chat.completions.create({
            model: "gpt-4o",
            messages: [{ role: "user", content: "crash" }],
            stream: true,
            max_tokens: 100,
            fake_output_tokens: 100,
            fake_chunk_delay_ms: 200,
          } as never) as unknown as Promise<AsyncIterable<unknown>>,
      ),
    );
    for (const s of streams) await s[Symbol.asyncIterator]().next();
    expect((await balance()).heldNanos).toBeGreaterThan(0n);

    stack.app.process.kill("SIGKILL");
    await new Promise((r) => stack.app.process.once("exit", r));
    const { rows: orphaned } = await stack.db.query(
      `SELECT count(*)::int AS n FROM "Hold" WHERE "organizationId" = $1 AND state = 'HELD'`,
      [orgId],
    );
    expect(orphaned[0].n).toBe(5);

    const restarted = await startAppServer({
      databaseUrl: stack.databaseUrl,
      env: {
        TOKENFLOW_HOLD_TTL_MS: "3000",
        TOKENFLOW_SWEEP_INTERVAL_MS: "500",
        TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey,
      },
    });
    try {
      let held = 1n;
      for (let i = 0; i < 40 && held !== 0n; i++) {
        await new Promise((r) => setTimeout(r, 250));
        held = (await balance()).heldNanos;
      }
      expect(held).toBe(0n);
      expect(await balance()).toEqual(before); // released, not charged
      const { rows } = await stack.db.query(
        `SELECT state, count(*)::int AS n FROM "Hold" WHERE "organizationId" = $1 GROUP BY state`,
        [orgId],
      );
      expect(rows.find((r) => r.state === "HELD")).toBeUndefined();
      expect(await findLedgerMismatches(stack.db)).toEqual([]);
    } finally {
      await restarted.stop();
    }
  });
});
