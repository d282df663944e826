// The /v1 surface through the official OpenAI SDK, against the production server and the fake upstream.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let orgId: string;

beforeAll(async () => {
  stack = await startStack({ env: { TOKENFLOW_CLIENT_IP_HEADER: "x-real-ip" } });
  await stack.admin.disableAllChannels();
  await stack.admin.createModel({
    id: "embed-small",
    displayName: "Embed small",
    provider: "OpenAI",
    kind: "EMBEDDING",
    inputPriceUsd: "0.02",
    outputPriceUsd: "0",
    contextWindow: 8191,
    maxOutputTokens: 1,
    defaultMaxOutputTokens: 1,
  });
  await stack.admin.createChannel({
    name: "fake deepseek",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-deepseek",
    models: ["deepseek-v3", "deepseek-r1", "gpt-4o", "embed-small"],
    modelMapping: {
      "deepseek-v3": "deepseek-chat",
      "deepseek-r1": "deepseek-reasoner",
      "embed-small": "text-embedding-3-small",
    },
  });
  const org = await stack.admin.createOrganization("Acme", "100");
  orgId = org.id;
  client = stack.sdk((await stack.admin.createKey(orgId)).key);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

describe("chat completions", () => {
  it("answers a non-streaming request with the public model name and sends the mapped name upstream", async () => {
    const completion = await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "Hello there" }],
      temperature: 0.3,
      seed: 7,
      user: "end-user-1",
      top_p: 0.9,
      // @ts-expect-error fields outside the forwarded allow-list are dropped
      custom_vendor_field: { keep: true },
      store: true,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("deepseek-v3");
    expect(completion.choices[0].message.content).toContain("Hello there");
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect((completion.usage as unknown as { cost_usd: string }).cost_usd).toMatch(/^\d+\.\d+$/);

    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.model).toBe("deepseek-chat");
    expect(sent.body.temperature).toBe(0.3);
    expect(sent.body.seed).toBe(7);
    expect(sent.body.user).toBe("end-user-1");
    expect(sent.body.top_p).toBe(0.9);
    expect(sent.body).not.toHaveProperty("custom_vendor_field");
    expect(sent.body).not.toHaveProperty("store");
    expect(sent.body.max_tokens).toBe(4096); // the model's default output cap, so the hold is a true bound
    expect(sent.headers.authorization).toBe("Bearer chan-deepseek");
  });

  it("returns x-request-id, the routed model and the cost in headers", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "deepseek-v3", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
    expect(response.headers.get("x-tokenflow-model")).toBe("deepseek-v3");
    expect(response.headers.get("x-tokenflow-cost-usd")).toBe((data.usage as unknown as { cost_usd: string }).cost_usd);
  });

  it("streams chunks the SDK can iterate, with usage only when asked for", async () => {
    const stream = await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "Stream this please" }],
      stream: true,
      max_tokens: 6,
    });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.model).toBe("deepseek-v3");
      expect(chunk.usage ?? null).toBeNull();
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(chunks).toBeGreaterThanOrEqual(6);
    expect(text.split(" ")).toHaveLength(6);
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.stream_options).toEqual({ include_usage: true });
    expect(sent.body.max_tokens).toBe(6);

    const withUsage = await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "again" }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of withUsage) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(5);
    expect((usage as unknown as { cost_usd: string }).cost_usd).toMatch(/^\d+\.\d+$/);
  });

  it("relays a stream whose whole answer arrives with its headers, in one read", async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: "deepseek-v3",
        messages: [{ role: "user", content: "short" }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 3,
        fake_fault: "one-write",
      } as never)
      .withResponse();
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.split(" ")).toHaveLength(3);
    expect(usage?.completion_tokens).toBe(3);
    const receipt = await stack.receipt(response.headers.get("x-request-id")!);
    expect(receipt).toMatchObject({ status: 200, errorCode: null, outputTokens: 3 });
  });

  it("round-trips tool calls", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: "function",
        function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
      },
    ];
    const first = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools,
      tool_choice: "auto",
    });
    const call = first.choices[0].message.tool_calls?.[0];
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    expect(call?.type).toBe("function");
    expect(call && "function" in call ? call.function.name : "").toBe("get_weather");

    await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "user", content: "What is the weather in Paris?" },
        first.choices[0].message,
        { role: "tool", tool_call_id: call!.id, content: '{"temp": 21}' },
      ],
      tools,
    });
    const sent = await getRequests(stack.upstream.url);
    expect(sent[0].body.tools).toEqual(tools);
    expect(sent[0].body.tool_choice).toBe("auto");
    expect(sent[1].body.messages[2]).toEqual({ role: "tool", tool_call_id: call!.id, content: '{"temp": 21}' });
  });

  it("passes JSON mode through and returns JSON", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Give me JSON" }],
      response_format: { type: "json_object" },
    });
    expect(() => JSON.parse(completion.choices[0].message.content!)).not.toThrow();
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.response_format).toEqual({ type: "json_object" });
  });

  it("returns n choices", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "three" }],
      n: 3,
    });
    expect(completion.choices.map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it("lets provider extras such as reasoning_content reach the client", async () => {
    const completion = await client.chat.completions.create({
      model: "deepseek-r1",
      messages: [{ role: "user", content: "think" }],
    });
    expect((completion.choices[0].message as unknown as { reasoning_content?: string }).reasoning_content).toBeTruthy();
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.model).toBe("deepseek-reasoner");
  });
});

describe("embeddings and models", () => {
  it("creates embeddings (the SDK's default base64 encoding included)", async () => {
    const result = await client.embeddings.create({ model: "embed-small", input: ["one", "two"] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0].embedding.length).toBeGreaterThan(0);
    expect(typeof result.data[0].embedding[0]).toBe("number");
    expect(result.model).toBe("embed-small");
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.path).toBe("/v1/embeddings");
    expect(sent.body.model).toBe("text-embedding-3-small");
  });

  it("lists only the models a key may use, without channel details", async () => {
    const all = await client.models.list();
    const ids = all.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["deepseek-v3", "deepseek-r1", "gpt-4o", "embed-small"]));
    expect(ids).not.toContain("claude-sonnet"); // no enabled channel serves it
    expect(JSON.stringify(all.data)).not.toContain("chan-");
    expect(JSON.stringify(all.data)).not.toContain("127.0.0.1");

    const limited = stack.sdk((await stack.admin.createKey(orgId, { allowedModels: ["gpt-4o"] })).key);
    // The router's ids come with any chat model: auto then picks only among the key's models.
    expect((await limited.models.list()).data.map((m) => m.id)).toEqual([
      "auto",
      "auto:balanced",
      "auto:best",
      "auto:cheap",
      "auto:fast",
      "gpt-4o",
    ]);
    expect((await limited.models.retrieve("gpt-4o")).id).toBe("gpt-4o");
    await expect(limited.models.retrieve("deepseek-v3")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("errors in OpenAI's envelope", () => {
  it("maps each failure to the SDK's error class", async () => {
    await expect(stack.sdk("tf-not-a-real-key-0000000000").models.list()).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    await expect(
      client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const limited = stack.sdk((await stack.admin.createKey(orgId, { allowedModels: ["gpt-4o"] })).key);
    await expect(
      limited.chat.completions.create({ model: "deepseek-v3", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(client.chat.completions.create({ model: "deepseek-v3", messages: [] })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it("uses identical 401 bodies for unknown, revoked and expired keys", async () => {
    const revoked = await stack.admin.createKey(orgId);
    await stack.admin.request("DELETE", `/api/admin/keys/${revoked.id}`);
    const expired = await stack.admin.createKey(orgId, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((r) => setTimeout(r, 1600));
    const bodies = [];
    const ids: string[] = [];
    for (const key of ["tf-unknownunknownunknown", revoked.key, expired.key]) {
      const res = await fetch(`${stack.app.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      ids.push(res.headers.get("x-request-id")!);
      bodies.push(await res.json());
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    // No receipt for these, but an access line each (written within 100 ms): where from, never the key.
    // Other tests' refusals share the log: wait for these three requests' lines, not for any three.
    const lines = async () =>
      stack.app
        .logs()
        .split("\n")
        .filter((line) => line.includes('"component":"access"') && line.includes('"status":401'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ours = async () => (await lines()).filter((line) => ids.includes(line.requestId as string));
    for (const start = Date.now(); (await ours()).length < 3 && Date.now() - start < 3000;) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const refused = await lines();
    expect(await ours()).toEqual(
      ids.map((requestId) =>
        expect.objectContaining({ requestId, method: "GET", path: "/v1/models", clientIp: "127.0.0.1", keyId: null }),
      ),
    );
    for (const line of refused) expect(JSON.stringify(line)).not.toMatch(/tf-[A-Za-z0-9_-]{12,}/);
    expect(bodies[0]).toEqual({
      error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" },
    });
  });

  it("answers bad bodies with 400 envelopes and oversized bodies with 413", async () => {
    const key = (await stack.admin.createKey(orgId)).key;
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.app.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        body,
      });
    const notJson = await post("{nope");
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.type).toBe("invalid_request_error");
    const missing = await post(JSON.stringify({ messages: [{ role: "user", content: "x" }] }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.param).toBe("model");
    const huge = await post(
      JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(21 * 1024 * 1024) }] }),
    );
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe("request_too_large");
    expect(await getRequests(stack.upstream.url)).toHaveLength(0);
  });

  it("enforces a key's IP allow-list from the trusted proxy header", async () => {
    const { key } = await stack.admin.createKey(orgId, { allowedIps: ["203.0.113.7", "10.9.0.0/16"] });
    const from = (ip: string) => stack.sdk(key, { defaultHeaders: { "x-real-ip": ip } });
    expect((await from("203.0.113.7").models.list()).data.length).toBeGreaterThan(0);
    expect((await from("10.9.4.2").models.list()).data.length).toBeGreaterThan(0);
    const denied = await from("198.51.100.1")
      .models.list()
      .catch((e) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(denied.error).toMatchObject({ type: "permission_error", code: "ip_not_allowed" });
    // x-forwarded-for is not the trusted header here: it cannot smuggle an allowed address in
    const spoofed = await stack
      .sdk(key, { defaultHeaders: { "x-forwarded-for": "203.0.113.7" } })
      .models.list()
      .catch((e) => e);
    expect(spoofed).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it("answers CORS preflights so browser apps can call the API with a key", async () => {
    const res = await fetch(`${stack.app.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const answer = await fetch(`${stack.app.url}/v1/models`, {
      headers: { authorization: "Bearer tf-nope-nope-nope-nope-nope", origin: "https://app.example" },
    });
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("answers unknown /v1 routes with an OpenAI-shaped 404", async () => {
    const res = await fetch(`${stack.app.url}/v1/nothing-here`, { method: "POST" });
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toContain("/v1/nothing-here");
  });
});
