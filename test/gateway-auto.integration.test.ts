// `model: "auto"` end to end with the official SDK: a concrete model answers and says so, the route is
// explained in a header and the receipt, the request is billed at the routed model's prices, a
// failing first pick falls back to the next model, conversations stick to their first model, and a
// request no model can take is refused without an upstream call.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, setScenario } from "@/e2e/fake-upstream/client";
import { costNanos } from "@/lib/billing/money";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startAppServer } from "./app-server";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let orgId: string;

const ALL_MODELS = ["deepseek-v3", "deepseek-r1", "kimi-k2", "glm-4-plus", "qwen-max", "gpt-4o", "claude-sonnet"];
const ROUTE =
  /^([a-z0-9.:-]+); tier=(simple|moderate|complex|expert); variant=(cheap|balanced|best|fast); reason=([a-z-]+)$/;

beforeAll(async () => {
  stack = await startStack();
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({
    name: "everything",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-auto-main",
    models: ALL_MODELS,
  });
  orgId = (await stack.admin.createOrganization("Auto", "50")).id;
  client = stack.sdk((await stack.admin.createKey(orgId)).key);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

async function receipt(requestId: string) {
  return stack.receipt(requestId); // lands just after the answer
}

async function prices(modelId: string) {
  const { rows } = await stack.db.query(
    `SELECT "inputPriceNanos", "outputPriceNanos", COALESCE("cachedInputPriceNanos", "inputPriceNanos") AS "cachedInputPriceNanos" FROM "Model" WHERE id = $1`,
    [modelId],
  );
  return rows[0] as { inputPriceNanos: bigint; outputPriceNanos: bigint; cachedInputPriceNanos: bigint };
}

describe("model: auto", () => {
  it("answers with a concrete model, explains the route and bills that model's prices to the nano-dollar", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: "auto",
        messages: [{ role: "user", content: "Hi there!" }],
        fake_fault: "usage:100,20",
      } as never)
      .withResponse();
    expect(data.model).toBe("deepseek-v3"); // the cheapest model good enough for a greeting
    expect(response.headers.get("x-tokenflow-model")).toBe("deepseek-v3");
    const route = response.headers.get("x-tokenflow-route")!;
    expect(route).toMatch(ROUTE);
    expect(route).toBe("deepseek-v3; tier=simple; variant=balanced; reason=cheapest-capable");
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.model).toBe("deepseek-v3");
    expect(sent.body).not.toHaveProperty("models");

    const row = await receipt(response.headers.get("x-request-id")!);
    expect(row).toMatchObject({ modelRequested: "auto", modelRouted: "deepseek-v3", routeReason: route });
    const expected = costNanos(
      { inputTokens: 100, cachedInputTokens: 0, outputTokens: 20 },
      await prices("deepseek-v3"),
    );
    expect(row.costNanos).toBe(expected);
    const { rows: ledger } = await stack.db.query(`SELECT "amountNanos" FROM "LedgerEntry" WHERE reference = $1`, [
      row.id,
    ]);
    expect(ledger).toEqual([{ amountNanos: -expected }]);
  });

  it("streams with the routed model named on every chunk", async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: "auto:best", messages: [{ role: "user", content: "hello" }], stream: true })
      .withResponse();
    const models = new Set<string>();
    let text = "";
    for await (const chunk of stream) {
      models.add(chunk.model);
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(text).toContain("hello");
    const routed = response.headers.get("x-tokenflow-model")!;
    expect(["gpt-4o", "claude-sonnet"]).toContain(routed); // the top tier
    expect([...models]).toEqual([routed]);
    expect(response.headers.get("x-tokenflow-route")).toMatch(/variant=best; reason=best-available$/);
  });

  it("routes tools to a tool-capable model and images to a vision model", async () => {
    const tools = await client.chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
        },
      ],
    });
    const call = tools.choices[0].message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(tools.model).not.toBe("deepseek-r1");

    const vision = await client.chat.completions.create({
      model: "auto:cheap",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is in this picture" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
    });
    expect(["gpt-4o", "claude-sonnet"]).toContain(vision.model);
  });

  it("refuses, without any upstream call, a request no model can take, naming the requirement", async () => {
    const r1Only = stack.sdk((await stack.admin.createKey(orgId, { allowedModels: ["deepseek-r1"] })).key);
    const error = await r1Only.chat.completions
      .create({
        model: "auto",
        messages: [{ role: "user", content: "call it" }],
        tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ code: "no_capable_model" });
    expect(error.message).toMatch(/tool calls/);
    expect(await getRequests(stack.upstream.url)).toHaveLength(0);
    // The same key may use auto without listing it, and auto picks only what the key allows.
    const answer = await r1Only.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "hi" }] });
    expect(answer.model).toBe("deepseek-r1");
  });

  it("honours `models`: picks among them, the others follow as fallbacks in order", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "hello" }], models: ["gpt-4o", "kimi-k2"] } as never)
      .withResponse();
    expect(data.model).toBe("kimi-k2");
    expect(response.headers.get("x-tokenflow-route")).toMatch(/^kimi-k2; /);
  });

  it("falls back to the next model when the first pick fails before the first byte, billing the one that answered", async () => {
    await setScenario(stack.upstream.url, { match: { model: "deepseek-v3" }, fault: "status:503" });
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "Hi" }], fake_fault: "usage:10,5" } as never)
      .withResponse();
    expect(data.model).not.toBe("deepseek-v3");
    const route = response.headers.get("x-tokenflow-route")!;
    expect(route).toMatch(new RegExp(`^${data.model}; tier=simple; variant=balanced; reason=fallback$`));
    const row = await receipt(response.headers.get("x-request-id")!);
    expect(row.modelRouted).toBe(data.model);
    expect(row.costNanos).toBe(
      costNanos({ inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 }, await prices(data.model)),
    );
    expect((await getRequests(stack.upstream.url)).map((r) => r.model)).toEqual(["deepseek-v3", data.model]);
  });

  it("answers 502 and charges nothing when every candidate fails", async () => {
    await setScenario(stack.upstream.url, { fault: "status:500" });
    const before = await stack.admin.getOrganization(orgId);
    const error = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "Hi" }] })
      .catch((e) => e);
    expect(error.status).toBe(502);
    await stack.settled(orgId);
    const after = await stack.admin.getOrganization(orgId);
    expect(after.balanceUsd).toBe(before.balanceUsd);
    expect(after.heldUsd).toBe("0.00");
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
  });

  it("keeps a conversation on the model of its first turn, even when a later turn looks harder", async () => {
    const system = { role: "system" as const, content: "You are a helpful assistant for conversation 42." };
    const first = { role: "user" as const, content: "Hello! Quick question coming." };
    const turn1 = await client.chat.completions.create({ model: "auto", messages: [system, first] });
    expect(turn1.model).toBe("deepseek-v3");
    const hard = "Prove rigorously, step by step, that there are infinitely many primes. ".repeat(60);
    const { data: turn2, response } = await client.chat.completions
      .create({
        model: "auto",
        messages: [
          system,
          first,
          { role: "assistant", content: turn1.choices[0].message.content! },
          { role: "user", content: hard },
        ],
      })
      .withResponse();
    expect(turn2.model).toBe("deepseek-v3");
    expect(response.headers.get("x-tokenflow-route")).toMatch(/reason=sticky$/);
    // Another conversation with the same hard question is routed on its own merits.
    const fresh = await client.chat.completions.create({
      model: "auto",
      messages: [system, { role: "user", content: hard }],
    });
    expect(fresh.model).not.toBe("deepseek-v3");
  });

  it("lists auto and its variants in /v1/models", async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    for (const id of ["auto", "auto:cheap", "auto:balanced", "auto:best", "auto:fast"]) expect(ids).toContain(id);
  });
});

describe("model: auto across instances", () => {
  it("keeps a conversation on its first model when the next turn reaches another instance (Redis)", async () => {
    const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
    const shared = {
      TOKENFLOW_ADMIN_KEY: stack.app.adminKey,
      TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey,
      REDIS_URL: redisUrl,
    };
    const a = await startAppServer({ databaseUrl: stack.databaseUrl, env: shared });
    const b = await startAppServer({ databaseUrl: stack.databaseUrl, env: shared });
    try {
      const key = (await stack.admin.createKey(orgId)).key;
      const onA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: key, maxRetries: 0 });
      const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: key, maxRetries: 0 });
      const system = { role: "system" as const, content: `Conversation ${Date.now()} across instances.` };
      const first = { role: "user" as const, content: "Hello!" };
      const turn1 = await onA.chat.completions.create({ model: "auto", messages: [system, first] });
      expect(turn1.model).toBe("deepseek-v3");
      const hard = "Design a multi-region payment system and discuss the trade-offs in depth. ".repeat(40);
      const { data: turn2, response } = await onB.chat.completions
        .create({
          model: "auto",
          messages: [system, first, { role: "assistant", content: "Hi!" }, { role: "user", content: hard }],
        })
        .withResponse();
      expect(turn2.model).toBe("deepseek-v3");
      expect(response.headers.get("x-tokenflow-route")).toMatch(/reason=sticky$/);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
