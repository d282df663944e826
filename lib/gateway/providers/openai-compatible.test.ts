import { describe, expect, it } from "vitest";
import type { ChatRequest } from "../chat-request";
import { chatBodyLimits } from "../chat-request";
import { GatewayError } from "../errors";
import { prepareChatBody, prepareEmbeddingsBody } from "../prepared-body";
import {
  buildUpstreamChatBody,
  buildUpstreamEmbeddingsBody,
  chooseOutputCap,
  countChunkDeltas,
  joinUrl,
  parseUsage,
  refusePriceRaisingFields,
} from "./openai-compatible";

const messages = [{ role: "user", content: "Hello" }];
const model = { defaultMaxOutputTokens: 4096, maxOutputTokens: 8192 };
const limits = { ...chatBodyLimits(), maxDepth: 32 };

const prepared = (body: Record<string, unknown>) => prepareChatBody(Buffer.from(JSON.stringify(body)), limits);

/** What the upstream receives for this client body. */
function sent(
  body: Record<string, unknown>,
  upstreamModel: string,
  cap: Parameters<typeof buildUpstreamChatBody>[2],
  extra?: ReadonlySet<string>,
): Record<string, unknown> {
  return JSON.parse(buildUpstreamChatBody(prepared(body), upstreamModel, cap, extra).toString());
}

describe("buildUpstreamChatBody", () => {
  it("forwards the allow-listed fields as they are, with the mapped model name", () => {
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    const request: ChatRequest = {
      model: "deepseek-v3",
      messages,
      temperature: 0.2,
      tools,
      response_format: { type: "json_object" },
      seed: 7,
      user: "u-1",
      max_tokens: 100,
    };
    const body = sent(request, "deepseek-chat", { field: "max_tokens", value: 100 });
    expect(body).toEqual({ ...request, model: "deepseek-chat" });
  });

  it("drops fields outside the allow-list: unknown ones, store/metadata and provider thinking switches", () => {
    const request: ChatRequest = {
      model: "pub",
      messages,
      some_future_field: { nested: [1, 2, 3] },
      store: true,
      metadata: { a: "b" },
      enable_thinking: true,
      thinking: { type: "enabled" },
      thinking_budget: 100_000,
      extra_body: { x: 1 },
    };
    expect(sent(request, "up", { field: "max_tokens", value: 10 })).toEqual({
      model: "up",
      messages,
      max_tokens: 10,
    });
  });

  it("forwards a model's extra fields", () => {
    const body = sent(
      { model: "pub", messages, enable_thinking: true, other: 1 },
      "up",
      { field: "max_tokens", value: 10 },
      new Set(["enable_thinking"]),
    );
    expect(body).toEqual({ model: "up", messages, max_tokens: 10, enable_thinking: true });
  });

  it("copies a large field as the client's own bytes, and keeps it intact", () => {
    const long = "x".repeat(50_000); // makes messages a raw (pre-serialised) field
    const body = sent({ model: "pub", messages: [{ role: "user", content: long }], n: 2 }, "up", {
      field: "max_tokens",
      value: 10,
    });
    expect(body).toEqual({ model: "up", messages: [{ role: "user", content: long }], n: 2, max_tokens: 10 });
  });

  it("writes the output cap to max_tokens when that is the chosen field", () => {
    const body = sent({ model: "pub", messages, max_tokens: 99_999 }, "up", {
      field: "max_tokens",
      value: 8192,
    });
    expect(body.max_tokens).toBe(8192);
    expect(body).not.toHaveProperty("max_completion_tokens");
  });

  it("adds the cap when the client sent none", () => {
    const body = sent({ model: "pub", messages }, "up", { field: "max_tokens", value: 4096 });
    expect(body.max_tokens).toBe(4096);
  });

  it("sends only the upstream's own cap field, whichever field the client used", () => {
    // An upstream that ignores max_completion_tokens (DeepSeek & co.) must still be capped.
    const deepseek = sent({ model: "pub", messages, max_completion_tokens: 300 }, "up", {
      field: "max_tokens",
      value: 300,
    });
    expect(deepseek).toEqual({ model: "up", messages, max_tokens: 300 });
    // An o-series upstream refuses max_tokens.
    const openai = sent({ model: "pub", messages, max_tokens: 300 }, "up", {
      field: "max_completion_tokens",
      value: 300,
    });
    expect(openai).toEqual({ model: "up", messages, max_completion_tokens: 300 });
  });

  it("writes max_completion_tokens and removes max_tokens when max_completion_tokens is the field", () => {
    const body = sent({ model: "pub", messages, max_tokens: 500, max_completion_tokens: 300 }, "up", {
      field: "max_completion_tokens",
      value: 300,
    });
    expect(body.max_completion_tokens).toBe(300);
    expect(body).not.toHaveProperty("max_tokens");
  });

  it("forces stream_options.include_usage on for streams and keeps the client's other stream options", () => {
    const request: ChatRequest = {
      model: "pub",
      messages,
      stream: true,
      stream_options: { include_usage: false, include_obfuscation: false },
    };
    const body = sent(request, "up", { field: "max_tokens", value: 10 });
    expect(body.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
  });

  it("adds stream_options when a streaming client sent none", () => {
    const body = sent({ model: "pub", messages, stream: true }, "up", {
      field: "max_tokens",
      value: 10,
    });
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it.each([{ stream: false }, { stream: null }, {}])(
    "does not add stream_options to a non-streaming request (%o)",
    (extra) => {
      const body = sent({ model: "pub", messages, ...extra }, "up", {
        field: "max_tokens",
        value: 10,
      });
      expect(body).not.toHaveProperty("stream_options");
    },
  );
});

describe("chooseOutputCap", () => {
  it("uses the model's default in max_tokens when the client asks for no cap", () => {
    expect(chooseOutputCap({ model: "m", messages }, model)).toEqual({ field: "max_tokens", value: 4096 });
    expect(chooseOutputCap({ model: "m", messages, max_tokens: null, max_completion_tokens: null }, model)).toEqual({
      field: "max_tokens",
      value: 4096,
    });
  });

  it("keeps a client cap within the model's maximum", () => {
    expect(chooseOutputCap({ model: "m", messages, max_tokens: 256 }, model)).toEqual({
      field: "max_tokens",
      value: 256,
    });
    expect(chooseOutputCap({ model: "m", messages, max_tokens: 8192 }, model)).toEqual({
      field: "max_tokens",
      value: 8192,
    });
  });

  it("clamps a client cap above the model's maximum", () => {
    expect(chooseOutputCap({ model: "m", messages, max_tokens: 100_000 }, model)).toEqual({
      field: "max_tokens",
      value: 8192,
    });
    expect(chooseOutputCap({ model: "m", messages, max_completion_tokens: 100_000 }, model).value).toBe(8192);
  });

  it("clamps a default that is above the maximum too", () => {
    expect(
      chooseOutputCap({ model: "m", messages }, { defaultMaxOutputTokens: 10_000, maxOutputTokens: 2000 }).value,
    ).toBe(2000);
  });

  it("lets max_completion_tokens win over max_tokens, as OpenAI does; the field is the upstream's", () => {
    expect(chooseOutputCap({ model: "m", messages, max_tokens: 100, max_completion_tokens: 300 }, model)).toEqual({
      field: "max_tokens",
      value: 300,
    });
    expect(
      chooseOutputCap(
        { model: "m", messages, max_tokens: 300, max_completion_tokens: 100 },
        model,
        "max_completion_tokens",
      ),
    ).toEqual({ field: "max_completion_tokens", value: 100 });
  });

  it("falls back to max_tokens when max_completion_tokens is null", () => {
    expect(chooseOutputCap({ model: "m", messages, max_tokens: 123, max_completion_tokens: null }, model)).toEqual({
      field: "max_tokens",
      value: 123,
    });
  });
});

describe("refusePriceRaisingFields", () => {
  const none = new Set<string>();
  it.each([
    [{ service_tier: "priority" }, "service_tier"],
    [{ service_tier: "flex" }, "service_tier"],
    [{ web_search_options: {} }, "web_search_options"],
    [{ modalities: ["text", "audio"] }, "modalities"],
    [{ audio: { voice: "alloy", format: "wav" } }, "modalities"],
    [{ prediction: { type: "content", content: "x" } }, "prediction"],
  ])("refuses %o with a 400 naming %s", (fields, param) => {
    try {
      refusePriceRaisingFields(prepared({ model: "m", messages, ...fields }), none);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ status: 400, param, code: "unsupported_parameter" });
    }
  });

  it.each([
    {},
    { service_tier: "auto" },
    { service_tier: "default" },
    { service_tier: null },
    { modalities: ["text"] },
    { web_search_options: null },
  ])("lets %o through", (fields) => {
    expect(() => refusePriceRaisingFields(prepared({ model: "m", messages, ...fields }), none)).not.toThrow();
  });

  it("lets a model that prices a field through", () => {
    expect(() =>
      refusePriceRaisingFields(
        prepared({ model: "m", messages, web_search_options: {} }),
        new Set(["web_search_options"]),
      ),
    ).not.toThrow();
  });

  it("refuses a price-raising field even when it is too large to travel as a value", () => {
    const prediction = { type: "content", content: "y".repeat(40_000) };
    expect(() => refusePriceRaisingFields(prepared({ model: "m", messages, prediction }), none)).toThrow(GatewayError);
  });
});

describe("buildUpstreamEmbeddingsBody", () => {
  it("forwards the embeddings fields only", () => {
    const body = prepareEmbeddingsBody(
      Buffer.from(JSON.stringify({ model: "pub", input: "hi", dimensions: 8, encoding_format: "float", other: 1 })),
      limits,
    );
    expect(JSON.parse(buildUpstreamEmbeddingsBody(body, "up").toString())).toEqual({
      model: "up",
      input: "hi",
      dimensions: 8,
      encoding_format: "float",
    });
  });
});

describe("parseUsage", () => {
  it("splits OpenAI's prompt_tokens_details.cached_tokens out of the prompt", () => {
    // cached_tokens is part of prompt_tokens: https://platform.openai.com/docs/guides/prompt-caching
    const usage = {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
    expect(parseUsage(usage)).toEqual({ inputTokens: 86, cachedInputTokens: 1920, outputTokens: 300 });
  });

  it("reads DeepSeek's prompt_cache_hit_tokens when there are no prompt_tokens_details", () => {
    // https://api-docs.deepseek.com/guides/kv_cache: prompt_tokens = hit + miss
    const usage = {
      prompt_tokens: 85,
      completion_tokens: 13,
      total_tokens: 98,
      prompt_cache_hit_tokens: 64,
      prompt_cache_miss_tokens: 21,
    };
    expect(parseUsage(usage)).toEqual({ inputTokens: 21, cachedInputTokens: 64, outputTokens: 13 });
  });

  it("reads DeepSeek's prompt_cache_hit_tokens when prompt_tokens_details is null or has no cached_tokens", () => {
    const base = { prompt_tokens: 100, completion_tokens: 1, prompt_cache_hit_tokens: 64 };
    expect(parseUsage({ ...base, prompt_tokens_details: null })?.cachedInputTokens).toBe(64);
    expect(parseUsage({ ...base, prompt_tokens_details: {} })?.cachedInputTokens).toBe(64);
  });

  it("treats a usage without cache information as all uncached", () => {
    expect(parseUsage({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 })).toEqual({
      inputTokens: 10,
      cachedInputTokens: 0,
      outputTokens: 2,
    });
  });

  it("accepts a usage with only one of the two counts", () => {
    expect(parseUsage({ prompt_tokens: 10 })).toEqual({ inputTokens: 10, cachedInputTokens: 0, outputTokens: 0 });
    expect(parseUsage({ completion_tokens: 4 })).toEqual({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 4 });
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["a string", "usage"],
    ["an empty object", {}],
    ["counts as strings", { prompt_tokens: "10", completion_tokens: "2" }],
    ["only total_tokens", { total_tokens: 12 }],
  ])("returns null for %s", (_name, usage) => {
    expect(parseUsage(usage)).toBeNull();
  });

  it.each([
    ["negative", -5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a string", "7"],
  ])("reads a %s count as 0", (_name, bad) => {
    expect(parseUsage({ prompt_tokens: bad, completion_tokens: 3 })).toEqual({
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 3,
    });
    expect(parseUsage({ prompt_tokens: 9, completion_tokens: bad })).toEqual({
      inputTokens: 9,
      cachedInputTokens: 0,
      outputTokens: 0,
    });
    expect(
      parseUsage({ prompt_tokens: 9, completion_tokens: 3, prompt_tokens_details: { cached_tokens: bad } }),
    ).toEqual({
      inputTokens: 9,
      cachedInputTokens: 0,
      outputTokens: 3,
    });
  });

  it("rounds fractional counts down to whole tokens", () => {
    expect(
      parseUsage({ prompt_tokens: 10.9, completion_tokens: 2.5, prompt_tokens_details: { cached_tokens: 3.7 } }),
    ).toEqual({
      inputTokens: 7,
      cachedInputTokens: 3,
      outputTokens: 2,
    });
  });

  it("never reports more cached tokens than prompt tokens", () => {
    expect(
      parseUsage({ prompt_tokens: 50, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 80 } }),
    ).toEqual({
      inputTokens: 0,
      cachedInputTokens: 50,
      outputTokens: 1,
    });
    expect(
      parseUsage({ prompt_tokens: 50, completion_tokens: 1, prompt_cache_hit_tokens: 64 })?.cachedInputTokens,
    ).toBe(50);
    expect(parseUsage({ completion_tokens: 1, prompt_cache_hit_tokens: 64 })).toEqual({
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 1,
    });
  });
});

describe("countChunkDeltas", () => {
  it("counts a non-empty content delta", () => {
    expect(countChunkDeltas({ choices: [{ delta: { content: "Hi" } }] })).toBe(1);
  });

  it("counts a reasoning_content delta (content null, as DeepSeek-R1 sends it)", () => {
    expect(countChunkDeltas({ choices: [{ delta: { content: null, reasoning_content: "Let" } }] })).toBe(1);
  });

  it("counts each tool call that carries argument text", () => {
    const chunk = {
      choices: [
        {
          delta: {
            tool_calls: [
              { index: 0, function: { arguments: '{"city":' } },
              { index: 1, function: { arguments: '"Paris"}' } },
            ],
          },
        },
      ],
    };
    expect(countChunkDeltas(chunk)).toBe(2);
  });

  it("does not count the tool-call header with empty arguments, nor a call without function", () => {
    const header = { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } };
    expect(countChunkDeltas({ choices: [{ delta: { tool_calls: [header, { index: 1 }] } }] })).toBe(0);
  });

  it("counts a tool-call delta that comes with an empty content string", () => {
    const delta = { content: "", tool_calls: [{ index: 0, function: { arguments: "{}" } }] };
    expect(countChunkDeltas({ choices: [{ delta }] })).toBe(1);
  });

  it("adds up the deltas of several choices (n > 1)", () => {
    expect(
      countChunkDeltas({
        choices: [{ delta: { content: "a" } }, { delta: { content: "b" } }, { delta: { content: "" } }],
      }),
    ).toBe(2);
  });

  it.each([
    ["a role-only delta", { choices: [{ delta: { role: "assistant", content: "" } }] }],
    ["an empty finish delta", { choices: [{ delta: {} }] }],
    ["a choice without delta", { choices: [{}] }],
    ["a usage-only chunk", { choices: [] }],
    ["a chunk without choices", {}],
    ["null content and reasoning", { choices: [{ delta: { content: null, reasoning_content: null } }] }],
    ["a refusal", { choices: [{ delta: { refusal: "I can't" } }] }],
  ])("counts nothing for %s", (_name, chunk) => {
    expect(countChunkDeltas(chunk as Parameters<typeof countChunkDeltas>[0])).toBe(0);
  });
});

describe("joinUrl", () => {
  it.each([
    ["https://api.deepseek.com/v1", "https://api.deepseek.com/v1/chat/completions"],
    ["https://api.deepseek.com/v1/", "https://api.deepseek.com/v1/chat/completions"],
    ["https://api.deepseek.com/v1///", "https://api.deepseek.com/v1/chat/completions"],
    ["https://open.bigmodel.cn/api/paas/v4", "https://open.bigmodel.cn/api/paas/v4/chat/completions"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080/chat/completions"],
  ])("joins %s and /chat/completions with exactly one slash", (base, expected) => {
    expect(joinUrl(base, "/chat/completions")).toBe(expected);
  });

  it("keeps a query string on the path", () => {
    expect(joinUrl("https://example.com/openai/", "/chat/completions?api-version=2024-10-21")).toBe(
      "https://example.com/openai/chat/completions?api-version=2024-10-21",
    );
  });
});

describe("parseUsage with prompt-cache writes (canonical usage, canonical.ts)", () => {
  it("splits prompt tokens into uncached, cached and cache-written", () => {
    expect(
      parseUsage({
        prompt_tokens: 100,
        completion_tokens: 7,
        prompt_tokens_details: { cached_tokens: 60, cache_write_tokens: 30 },
      }),
    ).toEqual({ inputTokens: 10, cachedInputTokens: 60, cacheWriteInputTokens: 30, outputTokens: 7 });
  });

  it("never counts more cache writes than the prompt had left", () => {
    expect(
      parseUsage({
        prompt_tokens: 10,
        completion_tokens: 0,
        prompt_tokens_details: { cached_tokens: 8, cache_write_tokens: 50 },
      }),
    ).toEqual({ inputTokens: 0, cachedInputTokens: 8, cacheWriteInputTokens: 2, outputTokens: 0 });
  });
});
