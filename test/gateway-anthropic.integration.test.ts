// Anthropic both ways, against the production server, real Postgres and the fake upstream speaking
// the Messages API: the official `openai` SDK calling claude-sonnet through an Anthropic channel, and
// the official `@anthropic-ai/sdk` calling /v1/messages for claude-sonnet (native) and deepseek-v3
// (translated through an OpenAI-compatible channel). Every cost is checked against the receipt and
// the ledger, to the nano.
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, setScenario } from "@/e2e/fake-upstream/client";
import { FAKE_UPSTREAM_FIELDS, startStack, type Stack } from "./stack";

let stack: Stack;
let openai: OpenAI;
let anthropic: Anthropic;
let orgId: string;
let apiKey: string;
let anthropicChannelId: string;

// claude-sonnet as seeded: $3 input, $15 output, $0.30 cache read, $3.75 cache write (per 1M tokens).
const SONNET = { input: 3_000_000_000n, output: 15_000_000_000n, cacheRead: 300_000_000n, cacheWrite: 3_750_000_000n };
// deepseek-v3 as seeded: $0.14 input, $0.28 output.
const DEEPSEEK = { input: 140_000_000n, output: 280_000_000n };

function ceilMillion(femto: bigint): bigint {
  return (femto + 999_999n) / 1_000_000n;
}

function sonnetCost(u: { input: number; cacheRead: number; cacheWrite: number; output: number }): bigint {
  return ceilMillion(
    BigInt(u.input) * SONNET.input +
      BigInt(u.cacheRead) * SONNET.cacheRead +
      BigInt(u.cacheWrite) * SONNET.cacheWrite +
      BigInt(u.output) * SONNET.output,
  );
}

function nanosToUsd(nanos: bigint): string {
  const whole = nanos / 1_000_000_000n;
  let fraction = (nanos % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  if (fraction.length < 2) fraction = fraction.padEnd(2, "0");
  return `${whole}.${fraction}`;
}

async function receipt(requestId: string) {
  return stack.receipt(requestId); // lands just after the answer
}

async function usageCharge(requestId: string): Promise<bigint> {
  const { rows } = await stack.db.query(
    `SELECT "amountNanos" FROM "LedgerEntry" WHERE reference = $1 AND kind = 'USAGE'`,
    [requestId],
  );
  return rows.length === 1 ? -BigInt(rows[0].amountNanos) : 0n;
}

/** Request fields the fake upstream reads (e2e/fake-upstream/README.md), which the SDKs' types do not know. */
function withKnobs<T>(params: T, knobs: Record<string, unknown>): T {
  return { ...params, ...knobs } as T;
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
  },
};

beforeAll(async () => {
  stack = await startStack();
  await stack.admin.disableAllChannels();
  anthropicChannelId = (
    await stack.admin.createChannel({
      name: "fake anthropic",
      provider: "anthropic",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "chan-anthropic-key-0001",
      models: ["claude-sonnet"],
      modelMapping: { "claude-sonnet": "claude-sonnet-4-5" },
    })
  ).id;
  await stack.admin.createChannel({
    name: "fake deepseek",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-deepseek",
    models: ["deepseek-v3"],
    modelMapping: { "deepseek-v3": "deepseek-chat" },
  });
  await stack.admin.updateModel("claude-sonnet", { extraRequestFields: [...FAKE_UPSTREAM_FIELDS, "fake_cache"] });
  const org = await stack.admin.createOrganization("Anthropic users", "100");
  orgId = org.id;
  apiKey = (await stack.admin.createKey(orgId)).key;
  openai = stack.sdk(apiKey);
  anthropic = new Anthropic({ baseURL: stack.app.url, apiKey, maxRetries: 0, timeout: 30_000 });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

describe("the openai SDK calling claude-sonnet through an Anthropic channel", () => {
  it("answers a text request, sends the Messages API upstream and bills cache reads and writes at their prices", async () => {
    const { data, response } = await openai.chat.completions
      .create(
        withKnobs(
          {
            model: "claude-sonnet",
            messages: [
              { role: "system", content: "You are terse." },
              { role: "user", content: "Hello Claude" },
            ],
            temperature: 1.7,
            stop: ["END"],
          },
          { fake_cache: "20,10" }, // forwarded: the model's extraRequestFields
        ),
      )
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("claude-sonnet");
    expect(data.choices[0].message.content).toBeTruthy();
    expect(data.choices[0].finish_reason).toBe("stop");

    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("chan-anthropic-key-0001");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body.model).toBe("claude-sonnet-4-5");
    expect(sent.body.system).toBe("You are terse.");
    expect(sent.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hello Claude" }] }]);
    expect(sent.body.max_tokens).toBe(4096); // required upstream: the model's default cap, which the hold covers
    expect(sent.body.temperature).toBe(1); // Anthropic's range is 0..1
    expect(sent.body.stop_sequences).toEqual(["END"]);

    // prompt_tokens includes cached and cache-written tokens; cached_tokens reports the cached ones.
    const usage = data.usage as OpenAI.CompletionUsage & { cost_usd: string; prompt_tokens_details: any };
    expect(usage.prompt_tokens_details.cached_tokens).toBe(20);
    expect(usage.prompt_tokens_details.cache_write_tokens).toBe(10);
    const uncached = usage.prompt_tokens - 30;
    expect(uncached).toBeGreaterThanOrEqual(0);
    const expected = sonnetCost({ input: uncached, cacheRead: 20, cacheWrite: 10, output: usage.completion_tokens });
    expect(usage.cost_usd).toBe(nanosToUsd(expected));

    const requestId = response.headers.get("x-request-id")!;
    const row = await receipt(requestId);
    expect(row.endpoint).toBe("chat.completions");
    expect(row.channelId).toBeTruthy();
    expect(row.inputTokens).toBe(uncached);
    expect(row.cachedInputTokens).toBe(20);
    expect(row.cacheWriteInputTokens).toBe(10);
    expect(BigInt(row.cacheWriteInputPriceNanos)).toBe(SONNET.cacheWrite);
    expect(BigInt(row.cachedInputPriceNanos)).toBe(SONNET.cacheRead);
    expect(BigInt(row.costNanos)).toBe(expected);
    expect(await usageCharge(requestId)).toBe(expected);
  });

  it("streams text deltas and ends with usage and the cost", async () => {
    const { data: stream, response } = await openai.chat.completions
      .create(
        withKnobs(
          {
            model: "claude-sonnet",
            messages: [{ role: "user", content: "Stream to me" }],
            stream: true,
            stream_options: { include_usage: true },
          },
          { fake_output_tokens: 6, fake_cache: "5,0" },
        ),
      )
      .withResponse();
    let text = "";
    let usage: any = null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.model).toBe("claude-sonnet");
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.split(" ").length).toBe(6);
    expect(finish).toBe("stop");
    expect(usage.completion_tokens).toBe(6);
    expect(usage.prompt_tokens_details.cached_tokens).toBe(5);
    const expected = sonnetCost({ input: usage.prompt_tokens - 5, cacheRead: 5, cacheWrite: 0, output: 6 });
    expect(usage.cost_usd).toBe(nanosToUsd(expected));
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.stream).toBe(true);
    const requestId = response.headers.get("x-request-id")!;
    expect(BigInt((await receipt(requestId)).costNanos)).toBe(expected);
    expect(await usageCharge(requestId)).toBe(expected);
  });

  it("completes a tool-call round trip, streaming the call's arguments", async () => {
    const first = await openai.chat.completions.create(
      withKnobs(
        {
          model: "claude-sonnet",
          messages: [{ role: "user", content: "Weather in Paris?" }],
          tools: [weatherTool],
          tool_choice: "required" as const,
        },
        { fake_tool_call: "get_weather" },
      ),
    );
    const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0].finish_reason).toBe("tool_calls");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual(expect.objectContaining({ location: expect.any(String) }));
    const [sentFirst] = await getRequests(stack.upstream.url);
    expect(sentFirst.body.tools[0]).toEqual(
      expect.objectContaining({ name: "get_weather", input_schema: expect.any(Object) }),
    );
    expect(sentFirst.body.tool_choice).toEqual({ type: "any" });

    // The same call, streamed: the arguments arrive as tool-call deltas.
    const stream = await openai.chat.completions.create(
      withKnobs(
        {
          model: "claude-sonnet",
          messages: [{ role: "user", content: "Weather in Paris?" }],
          tools: [weatherTool],
          stream: true as const,
        },
        { fake_tool_call: "get_weather" },
      ),
    );
    let args = "";
    let name = "";
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta?.tool_calls ?? []) {
        name ||= delta.function?.name ?? "";
        args += delta.function?.arguments ?? "";
      }
    }
    expect(name).toBe("get_weather");
    expect(JSON.parse(args)).toEqual(JSON.parse(call.function.arguments));

    await clearRequests(stack.upstream.url);
    const second = await openai.chat.completions.create({
      model: "claude-sonnet",
      messages: [
        { role: "user", content: "Weather in Paris?" },
        first.choices[0].message,
        { role: "tool", tool_call_id: call.id, content: "Sunny, 24 °C" },
      ],
      tools: [weatherTool],
    });
    expect(second.choices[0].message.content).toBeTruthy();
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.messages[1].role).toBe("assistant");
    expect(sent.body.messages[1].content).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: "tool_use", name: "get_weather" })]),
    );
    expect(sent.body.messages[2]).toEqual({
      role: "user",
      content: [expect.objectContaining({ type: "tool_result", content: "Sunny, 24 °C" })],
    });
  });

  it("turns reasoning_effort into extended thinking and answers the thinking as reasoning_content", async () => {
    const completion = await openai.chat.completions.create({
      model: "claude-sonnet",
      messages: [{ role: "user", content: "Think first" }],
      reasoning_effort: "medium",
      temperature: 0.3,
      max_completion_tokens: 6_000,
    });
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.thinking).toEqual({ type: "enabled", budget_tokens: 3_000 });
    expect(sent.body).not.toHaveProperty("temperature"); // thinking refuses it
    const message = completion.choices[0].message as (typeof completion.choices)[0]["message"] & {
      reasoning_content?: string;
    };
    expect(message.reasoning_content).toBeTruthy();
    expect(message.content).toBeTruthy();
  });

  it("turns an upstream error event mid-stream into our SSE error, billing what was produced", async () => {
    const { data: stream, response } = await openai.chat.completions
      .create(
        withKnobs(
          { model: "claude-sonnet", messages: [{ role: "user", content: "Break please" }], stream: true as const },
          { fake_fault: "stream-error:2" },
        ),
      )
      .withResponse();
    const requestId = response.headers.get("x-request-id")!;
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow(/ended the stream unexpectedly/);
    const row = await receipt(requestId);
    expect(row.errorCode).toBe("upstream_stream_error");
    expect(BigInt(row.costNanos)).toBe(await usageCharge(requestId));
  });

  it("fails over from an overloaded Anthropic channel and never shows Anthropic's words", async () => {
    await setScenario(stack.upstream.url, { match: { path: "/v1/messages" }, fault: "status:529", times: 1 });
    const error = await openai.chat.completions
      .create({ model: "claude-sonnet", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => ({ status: 200, error: null }),
        (e: { status: number; error: unknown }) => e,
      );
    // One Anthropic channel: after its 529 nothing else serves claude-sonnet.
    expect(error.status).toBe(502);
    expect(JSON.stringify(error.error)).not.toMatch(/overloaded|fake upstream/i);
  });
});

describe("the Anthropic SDK calling /v1/messages", () => {
  it("is served natively by an Anthropic channel: the client's body (cache control, thinking) goes as it is", async () => {
    const { data, response } = await anthropic.messages
      .create(
        withKnobs(
          {
            model: "claude-sonnet",
            max_tokens: 2048,
            system: [
              {
                type: "text" as const,
                text: "A long cached system prompt.",
                cache_control: { type: "ephemeral" as const },
              },
            ],
            thinking: { type: "enabled" as const, budget_tokens: 1024 },
            messages: [{ role: "user" as const, content: "Think, then answer." }],
          },
          { fake_cache: "40,12" }, // forwarded: the model's extraRequestFields
        ),
      )
      .withResponse();
    expect(data.type).toBe("message");
    expect(data.model).toBe("claude-sonnet");
    expect(data.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    expect(data.usage.cache_read_input_tokens).toBe(40);
    expect(data.usage.cache_creation_input_tokens).toBe(12);

    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.model).toBe("claude-sonnet-4-5");
    expect(sent.body.system).toEqual([
      { type: "text", text: "A long cached system prompt.", cache_control: { type: "ephemeral" } },
    ]);
    expect(sent.body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(sent.body.max_tokens).toBe(2048);

    const expected = sonnetCost({
      input: data.usage.input_tokens,
      cacheRead: 40,
      cacheWrite: 12,
      output: data.usage.output_tokens,
    });
    expect((data.usage as unknown as { cost_usd: string }).cost_usd).toBe(nanosToUsd(expected));
    const requestId = response.headers.get("x-request-id")!;
    const row = await receipt(requestId);
    expect(row.endpoint).toBe("messages");
    expect(BigInt(row.costNanos)).toBe(expected);
    expect(await usageCharge(requestId)).toBe(expected);
  });

  it("streams natively; the SDK's stream helper assembles the final message", async () => {
    const stream = anthropic.messages.stream(
      withKnobs(
        { model: "claude-sonnet", max_tokens: 256, messages: [{ role: "user" as const, content: "Stream natively" }] },
        { fake_output_tokens: 5 },
      ),
    );
    let deltas = "";
    stream.on("text", (text) => (deltas += text));
    const message = await stream.finalMessage();
    expect(message.model).toBe("claude-sonnet");
    const text = message.content
      .filter((b) => b.type === "text")
      .map((b) => (b as Anthropic.TextBlock).text)
      .join("");
    expect(text).toBe(deltas);
    expect(text.split(" ").length).toBe(5);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBe(5);
    const requestId = (await stream.withResponse()).response.headers.get("x-request-id")!;
    const expected = sonnetCost({ input: message.usage.input_tokens, cacheRead: 0, cacheWrite: 0, output: 5 });
    expect(BigInt((await receipt(requestId)).costNanos)).toBe(expected);
  });

  it("uses tools natively", async () => {
    const message = await anthropic.messages.create(
      withKnobs(
        {
          model: "claude-sonnet",
          max_tokens: 256,
          tools: [
            { name: "get_weather", description: "Weather", input_schema: { type: "object" as const, properties: {} } },
          ],
          messages: [{ role: "user" as const, content: "Weather?" }],
        },
        { fake_tool_call: "get_weather" },
      ),
    );
    expect(message.stop_reason).toBe("tool_use");
    const use = message.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(use.name).toBe("get_weather");
  });

  it("is served for deepseek-v3 by translation through an OpenAI-compatible channel", async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: "deepseek-v3",
        max_tokens: 300,
        system: "Be brief.",
        messages: [{ role: "user", content: "Hello DeepSeek" }],
      })
      .withResponse();
    expect(data.model).toBe("deepseek-v3");
    expect(data.role).toBe("assistant");
    expect(data.stop_reason).toBe("end_turn");
    const text = (data.content[0] as Anthropic.TextBlock).text;
    expect(text).toContain("Hello DeepSeek");

    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer chan-deepseek");
    expect(sent.body.model).toBe("deepseek-chat");
    expect(sent.body.max_tokens).toBe(300);
    expect(sent.body.messages[0]).toEqual({ role: "system", content: "Be brief." });

    const expected = ceilMillion(
      BigInt(data.usage.input_tokens) * DEEPSEEK.input + BigInt(data.usage.output_tokens) * DEEPSEEK.output,
    );
    const requestId = response.headers.get("x-request-id")!;
    expect((await receipt(requestId)).endpoint).toBe("messages");
    expect(await usageCharge(requestId)).toBe(expected);
  });

  it("streams a translated answer for deepseek-v3, and a translated tool call", async () => {
    const stream = anthropic.messages.stream({
      model: "deepseek-v3",
      max_tokens: 300,
      messages: [{ role: "user", content: "Stream translated" }],
    });
    const message = await stream.finalMessage();
    expect((message.content[0] as Anthropic.TextBlock).text).toContain("Stream translated");
    expect(message.usage.output_tokens).toBeGreaterThan(0);

    const toolStream = anthropic.messages.stream(
      withKnobs(
        {
          model: "deepseek-v3",
          max_tokens: 300,
          tools: [
            {
              name: "get_weather",
              input_schema: { type: "object" as const, properties: { location: { type: "string" } } },
            },
          ],
          messages: [{ role: "user" as const, content: "Weather?" }],
        },
        { fake_tool_call: "get_weather" }, // the translation keeps fields the model allows
      ),
    );
    const toolMessage = await toolStream.finalMessage();
    expect(toolMessage.stop_reason).toBe("tool_use");
    const use = toolMessage.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(use.name).toBe("get_weather");
    expect(typeof use.input).toBe("object");

    // The tool result goes back as a tool message.
    await clearRequests(stack.upstream.url);
    await anthropic.messages.create({
      model: "deepseek-v3",
      max_tokens: 100,
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: [use] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Rainy" }] },
      ],
      tools: [{ name: "get_weather", input_schema: { type: "object", properties: {} } }],
    });
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: use.id, content: "Rainy" });
  });

  it('routes model "auto" like /v1/chat/completions, and names the chosen model', async () => {
    const { data, response } = await anthropic.messages
      .create({ model: "auto", max_tokens: 100, messages: [{ role: "user", content: "Say hi" }] })
      .withResponse();
    const chosen = response.headers.get("x-tokenflow-model");
    expect(["claude-sonnet", "deepseek-v3"]).toContain(chosen);
    expect(data.model).toBe(chosen);
    expect(response.headers.get("x-tokenflow-route")).toBeTruthy();
    const row = await receipt(response.headers.get("x-request-id")!);
    expect(row.modelRequested).toBe("auto");
    expect(row.modelRouted).toBe(chosen);
  });

  it("raises AuthenticationError for an invalid key, in Anthropic's error shape", async () => {
    const stranger = new Anthropic({ baseURL: stack.app.url, apiKey: "tf-not-a-real-key", maxRetries: 0 });
    const error = await stranger.messages
      .create({ model: "claude-sonnet", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toEqual(
      expect.objectContaining({ type: "error", error: expect.objectContaining({ type: "authentication_error" }) }),
    );
  });

  it("answers a missing max_tokens and an unknown model in Anthropic's shape", async () => {
    const res = await fetch(`${stack.app.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/max_tokens/);

    const missing = await anthropic.messages
      .create({ model: "no-such-model", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("refuses a request the balance cannot cover with billing_error (402)", async () => {
    const poor = await stack.admin.createOrganization("Poor", "0.000001");
    const key = (await stack.admin.createKey(poor.id)).key;
    const client = new Anthropic({ baseURL: stack.app.url, apiKey: key, maxRetries: 0 });
    const error = (await client.messages
      .create({ model: "claude-sonnet", max_tokens: 1000, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error.status).toBe(402);
    expect((error.error as any).error.type).toBe("billing_error");
  });

  it("counts tokens for free: natively for claude-sonnet, by estimate for deepseek-v3", async () => {
    const before = await stack.admin.getOrganization(orgId);
    const native = await anthropic.messages.countTokens({
      model: "claude-sonnet",
      messages: [{ role: "user", content: "Count these words please" }],
    });
    const [sent] = await getRequests(stack.upstream.url, { path: "/v1/messages/count_tokens" });
    expect(sent.body.model).toBe("claude-sonnet-4-5");
    expect(native.input_tokens).toBeGreaterThan(0);

    const estimated = await anthropic.messages.countTokens({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "Count these words please" }],
    });
    expect(estimated.input_tokens).toBeGreaterThan(0);
    expect((await getRequests(stack.upstream.url)).length).toBe(1); // no upstream call for the estimate
    expect((await stack.admin.getOrganization(orgId)).balanceUsd).toBe(before.balanceUsd);
  });
});

describe("the admin console's channel test on an Anthropic channel", () => {
  it("sends a one-token Messages API request with the channel's own credential header", async () => {
    const result = await stack.admin.request("POST", `/api/admin/channels/${anthropicChannelId}/test`);
    expect(result.status).toBe(200);
    expect(result.body.ok).toBe(true);
    const [sent] = await getRequests(stack.upstream.url);
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("chan-anthropic-key-0001");
    expect(sent.body).toEqual(expect.objectContaining({ model: "claude-sonnet-4-5", max_tokens: 1 }));
  });

  it("reports a refused key without repeating it", async () => {
    const bad = await stack.admin.createChannel({
      name: "bad anthropic",
      provider: "anthropic",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "bad-key",
      models: ["claude-sonnet"],
      enabled: false,
    });
    const result = await stack.admin.request("POST", `/api/admin/channels/${bad.id}/test`);
    expect(result.body.ok).toBe(false);
    expect(result.body.error).toMatch(/401/);
    expect(JSON.stringify(result.body)).not.toContain("bad-key");
  });
});
