// Hostile or unlucky requests at the network boundary: the output cap binds every upstream in the
// field it honours, price-raising fields are refused and unknown ones dropped, an upstream billing
// past the cap is charged in full and flagged, upstream text never reaches the tenant, long
// non-streaming generations are served, and /v1 answers wrong methods and preflights in OpenAI's way.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, leakMarkers, setScenario } from "@/e2e/fake-upstream/client";
import { findLedgerMismatches } from "@/lib/billing/reconcile";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let orgId: string;
let key: string;

// Distinctive channel keys (≥ 12 characters) so a leaked key tail would be recognised.
const KEY_A = "sk-chan-hardening-aaaaaaaa1111";
const KEY_B = "sk-chan-hardening-bbbbbbbb2222";

beforeAll(async () => {
  stack = await startStack({
    env: {
      TOKENFLOW_BREAKER_THRESHOLD: "1000",
      TOKENFLOW_BREAKER_AUTH_THRESHOLD: "1000",
      // Streams must show headers within 1 s; a non-streaming answer may take the whole deadline.
      TOKENFLOW_FIRST_BYTE_TIMEOUT_MS: "1000",
      TOKENFLOW_REQUEST_DEADLINE_MS: "8000",
    },
  });
  await stack.admin.disableAllChannels();
  // A honours max_tokens only (DeepSeek-like), B is OpenAI-like (max_completion_tokens).
  await stack.admin.createModel({
    id: "cap-model",
    displayName: "Cap",
    provider: "Test",
    inputPriceUsd: "1",
    outputPriceUsd: "1000",
    contextWindow: 8192,
    maxOutputTokens: 100,
    defaultMaxOutputTokens: 10,
  });
  await stack.admin.createChannel({
    name: "A",
    baseUrl: stack.upstream.baseUrl,
    apiKey: KEY_A,
    models: ["cap-model", "gpt-4o"],
    priority: 10,
    outputCapField: "max_tokens",
  });
  await stack.admin.createChannel({
    name: "B",
    baseUrl: stack.upstream.baseUrl,
    apiKey: KEY_B,
    models: ["cap-model", "gpt-4o"],
    priority: 0,
    outputCapField: "max_completion_tokens",
  });
  orgId = (await stack.admin.createOrganization("Hardening", "100")).id;
  key = (await stack.admin.createKey(orgId)).key;
  client = stack.sdk(key);
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

describe("the output cap binds the upstream", () => {
  it("sends max_tokens to an upstream that honours only max_tokens, whatever field the client used", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault: "honour:max_tokens" });
    for (const cap of [{ max_completion_tokens: 5 }, { max_tokens: 5 }, { max_tokens: 50, max_completion_tokens: 5 }]) {
      const completion = await client.chat.completions.create({
        model: "cap-model",
        messages: [{ role: "user", content: "count to fifty" }],
        fake_output_tokens: 50,
        ...cap,
      } as never);
      expect(completion.usage!.completion_tokens, JSON.stringify(cap)).toBe(5);
      expect(completion.choices[0].finish_reason).toBe("length");
    }
    for (const sent of await getRequests(stack.upstream.url, { apiKey: KEY_A })) {
      expect(sent.body.max_tokens).toBe(5);
      expect(sent.body).not.toHaveProperty("max_completion_tokens");
    }
  });

  it("sends the model's default cap when the client gave none", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault: "honour:max_tokens" });
    const completion = await client.chat.completions.create({
      model: "cap-model",
      messages: [{ role: "user", content: "go on" }],
      fake_output_tokens: 50,
    } as never);
    expect(completion.usage!.completion_tokens).toBe(10);
    const [sent] = await getRequests(stack.upstream.url, { apiKey: KEY_A });
    expect(sent.body.max_tokens).toBe(10);
  });

  it("sends max_completion_tokens (and never max_tokens) to an upstream that refuses max_tokens", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault: "status:503" }); // force channel B
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_B }, fault: "honour:max_completion_tokens" });
    const completion = await client.chat.completions.create({
      model: "cap-model",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 4,
      fake_output_tokens: 50,
    } as never);
    expect(completion.usage!.completion_tokens).toBe(4);
    const [sent] = await getRequests(stack.upstream.url, { apiKey: KEY_B });
    expect(sent.body.max_completion_tokens).toBe(4);
    expect(sent.body).not.toHaveProperty("max_tokens");
  });
});

describe("no charge is silently dropped", () => {
  it("charges an upstream's usage above the cap in full, flags the receipt and keeps the books exact", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault: "usage:20,500" });
    const { data, response } = await client.chat.completions
      .create({ model: "cap-model", messages: [{ role: "user", content: "hi" }], max_tokens: 3 })
      .withResponse();
    expect(data.choices[0].message.content!.split(" ")).toHaveLength(3);
    const row = await receipt(response.headers.get("x-request-id")!);
    // 20 input tokens at $1 per 1M (1,000 nano-USD each) + 500 output tokens at $1,000 per 1M (1,000,000 each).
    expect(row.costNanos).toBe(20n * 1_000n + 500n * 1_000_000n);
    expect(row.costNanos).toBeGreaterThan(row.holdNanos);
    expect(row.overageNanos).toBe(row.costNanos - row.holdNanos);
    expect((data.usage as unknown as { cost_usd: string }).cost_usd).toBe("0.50002");
    expect(await findLedgerMismatches(stack.db)).toEqual([]);
    // The warning follows the settlement; the server's log is written asynchronously (lib/log.ts).
    const overage = /"requestId":"req_\w+".*"msg":"overage: charged above the hold"/;
    for (let i = 0; i < 100 && !overage.test(stack.app.logs()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stack.app.logs()).toMatch(overage);
  });

  it.each([
    ["service_tier", { service_tier: "priority" }],
    ["web_search_options", { web_search_options: {} }],
    ["modalities", { modalities: ["text", "audio"], audio: { voice: "alloy", format: "wav" } }],
    ["prediction", { prediction: { type: "content", content: "draft" } }],
  ])("refuses %s with a 400 and no upstream call", async (param, fields) => {
    const error = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], ...fields } as never)
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ param, code: "unsupported_parameter" });
    expect(await getRequests(stack.upstream.url)).toHaveLength(0);
  });

  it("counts each image at the model's own figure in the hold", async () => {
    // Two models that differ only in what one image may cost: the hold differs by exactly that.
    for (const [id, maxImageTokens] of [
      ["vision-small", 100],
      ["vision-large", 50_100],
    ] as const) {
      await stack.admin.createModel({
        id,
        displayName: id,
        provider: "Test",
        inputPriceUsd: "1",
        outputPriceUsd: "1",
        contextWindow: 1_000_000,
        maxOutputTokens: 10,
        defaultMaxOutputTokens: 10,
        supportsVision: true,
        maxImageTokens,
      });
      await stack.admin.updateChannel((await channelIdByName("A"))!, { models: await modelsOf("A", id) });
    }
    const image = { type: "image_url", image_url: { url: `data:image/png;base64,${"A".repeat(4000)}` } };
    const holds: bigint[] = [];
    for (const model of ["vision-small", "vision-large"]) {
      const { response } = await client.chat.completions
        .create({
          model,
          messages: [{ role: "user", content: [{ type: "text", text: "what is it" }, image] }],
        } as never)
        .withResponse();
      holds.push((await receipt(response.headers.get("x-request-id")!)).holdNanos);
    }
    // 50,000 more input tokens at $1 per 1M (1,000 nano-USD each) = 50,000,000 nano-USD more held.
    expect(holds[1] - holds[0]).toBe(50_000_000n);
  });
});

async function channelIdByName(name: string): Promise<string | undefined> {
  const { body } = await stack.admin.request<{ data: Array<{ id: string; name: string }> }>(
    "GET",
    "/api/admin/channels",
  );
  return body.data.find((c) => c.name === name)?.id;
}

async function modelsOf(name: string, add: string): Promise<string[]> {
  const { body } = await stack.admin.request<{ data: Array<{ name: string; models: string[] }> }>(
    "GET",
    "/api/admin/channels",
  );
  return [...new Set([...body.data.find((c) => c.name === name)!.models, add])];
}

describe("upstream failures are ours to absorb", () => {
  const leaks = [...leakMarkers(KEY_A), ...leakMarkers(KEY_B), "127.0.0.1", "fake upstream"];
  const expectNoLeak = (text: string) => {
    for (const leak of leaks) expect(text, `leaked ${leak}`).not.toContain(leak);
  };

  for (const status of [401, 402, 403, 404, 429, 500, 503]) {
    it(`fails over a leaky ${status} from one channel and never shows its text`, async () => {
      await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault: `leaky:${status}` });
      const { data, response } = await client.chat.completions
        .create({ model: "gpt-4o", messages: [{ role: "user", content: "hello" }] })
        .withResponse();
      expect(data.choices[0].message.content).toContain("hello");
      expectNoLeak(JSON.stringify(data) + JSON.stringify([...response.headers]));
      expect(await getRequests(stack.upstream.url, { apiKey: KEY_B })).toHaveLength(1);
    });
  }

  for (const stream of [false, true]) {
    it(`answers in its own words when every channel fails with provider text (${stream ? "stream" : "non-stream"})`, async () => {
      await setScenario(stack.upstream.url, { fault: "leaky:402" });
      const res = await fetch(`${stack.app.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x" }], stream }),
      });
      const text = await res.text();
      expect(res.status).toBe(502);
      expect(JSON.parse(text).error).toMatchObject({ type: "api_error", code: "upstream_error" });
      expectNoLeak(text + JSON.stringify([...res.headers]));
    });
  }

  it.each([
    ["context-length", "context_length_exceeded"],
    ["content-filter", "content_policy_violation"],
    ["leaky:400", "upstream_invalid_request"],
    ["leaky:422", "upstream_invalid_request"],
  ])("answers an upstream %s about the request as a safe 400 (%s), without failing over", async (fault, code) => {
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault });
    const error = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hello" }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error.code).toBe(code);
    expectNoLeak(JSON.stringify(error.error) + error.message);
    expect(await getRequests(stack.upstream.url, { apiKey: KEY_B })).toHaveLength(0);
  });

  it("ends a stream whose upstream sends an error event with our own error, not the provider's", async () => {
    await setScenario(stack.upstream.url, { fault: "stream-error:2" });
    const res = await fetch(`${stack.app.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "tell me" }], stream: true }),
    });
    const text = await res.text();
    expect(text).toContain('"code":"upstream_error"');
    expectNoLeak(text);
  });

  it("serves a non-streaming generation that takes longer than the streams' first-byte timeout", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: KEY_A }, fault: "slow-first-byte:2500" });
    const started = Date.now();
    const completion = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "think long" }],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(completion.choices[0].message.content).toContain("think");
    expect(await getRequests(stack.upstream.url, { apiKey: KEY_B })).toHaveLength(0); // never started twice
  });
});

describe("the /v1 surface", () => {
  it("answers a wrong method with an OpenAI-shaped 405 naming the allowed ones", async () => {
    for (const [method, path] of [
      ["GET", "/v1/chat/completions"],
      ["DELETE", "/v1/embeddings"],
      ["POST", "/v1/models"],
    ]) {
      const res = await fetch(`${stack.app.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toMatch(/OPTIONS/);
      const body = await res.json();
      expect(body.error).toMatchObject({ type: "invalid_request_error", code: "method_not_allowed", param: null });
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    }
  });

  it("admits Authorization in CORS preflights (the * wildcard does not cover it)", async () => {
    const res = await fetch(`${stack.app.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it("keeps a connection usable after a request refused before its body was read", async () => {
    // Same keep-alive connection: a 401 with an unread 2 MB body, then a normal request.
    const big = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(2_000_000) }] });
    const refused = await fetch(`${stack.app.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer tf-not-a-key", "content-type": "application/json" },
      body: big,
    });
    expect(refused.status).toBe(401);
    await refused.text();
    const ok = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(ok.choices).toHaveLength(1);
  });
});
