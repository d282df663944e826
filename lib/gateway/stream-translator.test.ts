import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatStreamTranslator, type StreamStats } from "./stream-translator";

// Recorded upstream streams, exactly as they arrive on the wire (providers/__fixtures__/):
// - openai-gpt-4o-include-usage.sse.txt: gpt-4o with stream_options.include_usage. Every chunk carries
//   "usage":null and one extra chunk with `choices: []` carries the usage before [DONE], as the OpenAI
//   API reference documents for include_usage (https://platform.openai.com/docs/api-reference/chat/create
//   → stream_options) and as recorded in vercel/ai packages/openai/src/chat/__fixtures__/openai-text.chunks.txt.
// - deepseek-reasoner-stream.sse.txt: DeepSeek-R1 (`deepseek-reasoner`) answering the question of
//   https://api-docs.deepseek.com/guides/thinking_mode_api_example_streaming: a `: keep-alive` comment
//   (https://api-docs.deepseek.com/quick_start/rate_limit), reasoning_content deltas, then content
//   deltas; usage with prompt_cache_hit_tokens / prompt_cache_miss_tokens
//   (https://api-docs.deepseek.com/guides/kv_cache) rides on the finishing chunk, as in the recorded
//   vercel/ai packages/deepseek/src/chat/__fixtures__/deepseek-reasoning.chunks.txt.
// - deepseek-chat-tool-call.sse.txt: `deepseek-chat` calling a tool, the arguments split over several
//   deltas (shape of vercel/ai packages/deepseek/src/chat/__fixtures__/deepseek-tool-call.chunks.txt).

function fixture(name: string): string {
  return readFileSync(new URL(`./providers/__fixtures__/${name}`, import.meta.url), "utf8");
}

const OPENAI = fixture("openai-gpt-4o-include-usage.sse.txt");
const R1 = fixture("deepseek-reasoner-stream.sse.txt");
const TOOL_CALL = fixture("deepseek-chat-tool-call.sse.txt");

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** Feeds `data` cut at the given byte offsets; returns everything the translator wrote. */
function feed(translator: ChatStreamTranslator, data: Uint8Array, cuts: number[] = []): string {
  let out = "";
  let start = 0;
  for (const cut of [...cuts, data.length]) {
    out += translator.push(data.subarray(start, cut));
    start = cut;
  }
  return out;
}

/** `upstreamModel` names the id the recorded stream carries; the translator must replace any id. */
function translate(text: string, publicModel: string, upstreamModel: string, cuts?: number[]) {
  void upstreamModel;
  const translator = new ChatStreamTranslator(publicModel);
  const output = feed(translator, bytes(text), cuts);
  return { translator, output, stats: translator.stats };
}

/** The SSE blocks of a stream ("data: …" without the blank line). */
const blocks = (text: string) => text.split("\n\n").filter((b) => b.length > 0);

/** The JSON payloads written to the client; fails if anything is not a well-formed `data:` event. */
function events(output: string): Array<Record<string, unknown>> {
  expect(output.endsWith("\n\n") || output === "").toBe(true);
  return blocks(output).map((block) => {
    expect(block.startsWith("data: ")).toBe(true);
    expect(block.includes("\n")).toBe(false);
    return JSON.parse(block.slice("data: ".length)) as Record<string, unknown>;
  });
}

const withoutTiming = (stats: StreamStats) => ({ ...stats, firstDeltaAt: null });

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("recorded OpenAI gpt-4o stream with include_usage", () => {
  it("forwards the content chunks byte for byte and holds back the usage chunk and [DONE]", () => {
    const input = blocks(OPENAI);
    expect(input).toHaveLength(9); // role, 5 content, finish, usage, [DONE]
    expect(input[7]).toContain('"choices":[]');
    expect(input[8]).toBe("data: [DONE]");

    // When the public id is the id the upstream answers with, nothing needs re-writing.
    const { output } = translate(OPENAI, "gpt-4o-2024-08-06", "gpt-4o-2024-08-06");
    expect(output).toBe(input.slice(0, 7).join("\n\n") + "\n\n");
    expect(output).not.toContain('"prompt_tokens"');
    expect(output).not.toContain("[DONE]");
  });

  it("exposes the usage (cached tokens split out) and the raw usage object", () => {
    const { stats, translator } = translate(OPENAI, "gpt-4o", "gpt-4o");
    expect(stats.usage).toEqual({ inputTokens: 1117 - 1024, cachedInputTokens: 1024, outputTokens: 5 });
    expect(stats.rawUsage).toEqual({
      prompt_tokens: 1117,
      completion_tokens: 5,
      total_tokens: 1122,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    expect(stats).toMatchObject({
      deltas: 5,
      sawDone: true,
      sawFinish: true,
      upstreamError: null,
      malformedEvents: 0,
      lastChunkMeta: {
        id: "chatcmpl-BQv7kXh2mT9sYp4LcE1aRn0dWfGuZ",
        created: 1745923512,
        system_fingerprint: "fp_f5bdcc3276",
      },
    });
    expect(translator.completed).toBe(true);
  });

  it("rewrites the dated snapshot name to the public id when the channel maps another name", () => {
    // Pattern `"model":"gpt-4o"` does not match "gpt-4o-2024-08-06": those chunks are re-encoded.
    const { output } = translate(OPENAI, "house-gpt", "gpt-4o");
    const out = events(output);
    expect(out).toHaveLength(7);
    for (const event of out) expect(event.model).toBe("house-gpt");
    expect(output).not.toContain("gpt-4o-2024-08-06");
    const text = out.map((e) => (e.choices as Array<{ delta: { content?: string } }>)[0].delta.content ?? "").join("");
    expect(text).toBe("Bonjour ! Ça va 👋");
  });

  // The upstream answers with a dated snapshot ("gpt-4o-2024-08-06"); clients see our public id on
  // every chunk, as on the usage event and on non-streamed answers.
  it("reports the public id on every chunk even when the upstream id equals it", () => {
    const { output } = translate(OPENAI, "gpt-4o", "gpt-4o");
    for (const event of events(output)) expect(event.model).toBe("gpt-4o");
  });
});

describe("recorded DeepSeek-R1 stream (reasoning_content, cache hit/miss usage on the last chunk)", () => {
  it("rewrites deepseek-reasoner to the public id in place, leaving the rest of each chunk untouched", () => {
    const { output } = translate(R1, "deepseek-r1", "deepseek-reasoner");
    const input = blocks(R1);
    expect(input[0]).toBe(": keep-alive");
    const contentChunks = input.slice(1, 12); // role chunk, 7 reasoning, 3 content
    const forwarded = blocks(output);
    expect(forwarded).toHaveLength(12); // those 11 + the finishing chunk (usage stripped)
    expect(forwarded.slice(0, 11)).toEqual(
      contentChunks.map((b) => b.replace('"model":"deepseek-reasoner"', '"model":"deepseek-r1"')),
    );
    expect(output).not.toContain("deepseek-reasoner");
    expect(output).toContain("更大"); // raw UTF-8 stays raw (no re-encoding to \u escapes or mojibake)
  });

  it("strips the usage from the finishing chunk but forwards its finish_reason with the public model", () => {
    const { output } = translate(R1, "deepseek-r1", "deepseek-reasoner");
    const last = events(output).at(-1)!;
    expect(last).not.toHaveProperty("usage");
    expect(last.model).toBe("deepseek-r1");
    expect(last.id).toBe("5c8f7e2a-91d3-4b6e-a0f4-2d7c9e1b3a65");
    expect(last.choices).toEqual([
      { index: 0, delta: { content: "", reasoning_content: null }, logprobs: null, finish_reason: "stop" },
    ]);
  });

  it("reads DeepSeek's prompt_cache_hit_tokens as cached input", () => {
    const { stats, translator } = translate(R1, "deepseek-r1", "deepseek-reasoner");
    expect(stats.usage).toEqual({ inputTokens: 21, cachedInputTokens: 64, outputTokens: 13 });
    expect(stats.rawUsage).toMatchObject({ prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 21 });
    expect(translator.completed).toBe(true);
  });

  it("counts reasoning and content deltas, not the empty role/finish deltas, and ignores keep-alive comments", () => {
    const { stats } = translate(R1, "deepseek-r1", "deepseek-reasoner");
    expect(stats.deltas).toBe(7 + 3);
    expect(stats.malformedEvents).toBe(0);
  });

  it("counts the stream as completed without [DONE] once it finished and reported usage", () => {
    const withoutDone = R1.replace("data: [DONE]\n\n", "");
    expect(withoutDone).not.toBe(R1);
    const { stats, translator } = translate(withoutDone, "deepseek-r1", "deepseek-reasoner");
    expect(stats.sawDone).toBe(false);
    expect(stats.sawFinish).toBe(true);
    expect(translator.completed).toBe(true);
  });
});

describe("recorded DeepSeek tool-call stream", () => {
  it("rewrites deepseek-chat to deepseek-v3 and passes the argument pieces through intact", () => {
    const { output } = translate(TOOL_CALL, "deepseek-v3", "deepseek-chat");
    const out = events(output);
    expect(out).toHaveLength(8); // role, tool-call header, 5 argument pieces, finishing chunk
    for (const event of out) expect(event.model).toBe("deepseek-v3");
    const args = out
      .flatMap((e) => e.choices as Array<{ delta: { tool_calls?: Array<{ function?: { arguments?: string } }> } }>)
      .flatMap((c) => c.delta.tool_calls ?? [])
      .map((call) => call.function?.arguments ?? "")
      .join("");
    expect(JSON.parse(args)).toEqual({ location: "杭州" });
    expect(out.at(-1)).not.toHaveProperty("usage");
  });

  it("counts each non-empty argument delta as output and prefers cached_tokens for the cache split", () => {
    const { stats, translator } = translate(TOOL_CALL, "deepseek-v3", "deepseek-chat");
    expect(stats.deltas).toBe(5); // the header's "" arguments is not output
    expect(stats.usage).toEqual({ inputTokens: 4, cachedInputTokens: 192, outputTokens: 21 });
    expect(stats.sawFinish).toBe(true);
    expect(translator.completed).toBe(true);
  });
});

describe("awkward byte boundaries", () => {
  const cases = [
    { name: "OpenAI", text: OPENAI, publicModel: "house-gpt", upstreamModel: "gpt-4o" },
    { name: "DeepSeek-R1", text: R1, publicModel: "deepseek-r1", upstreamModel: "deepseek-reasoner" },
    { name: "tool call", text: TOOL_CALL, publicModel: "deepseek-v3", upstreamModel: "deepseek-chat" },
  ];

  it.each(cases)(
    "$name: any single cut gives the same output and stats as one read",
    ({ text, publicModel, upstreamModel }) => {
      const whole = translate(text, publicModel, upstreamModel);
      const length = bytes(text).length;
      for (let cut = 1; cut < length; cut++) {
        const split = translate(text, publicModel, upstreamModel, [cut]);
        if (split.output !== whole.output) expect.fail(`output differs when cut at byte ${cut}`);
        expect(withoutTiming(split.stats)).toEqual(withoutTiming(whole.stats));
      }
    },
  );

  it.each(cases)(
    "$name: one byte at a time gives the same output and stats",
    ({ text, publicModel, upstreamModel }) => {
      const whole = translate(text, publicModel, upstreamModel);
      const everyByte = Array.from({ length: bytes(text).length - 1 }, (_, i) => i + 1);
      const split = translate(text, publicModel, upstreamModel, everyByte);
      expect(split.output).toBe(whole.output);
      expect(withoutTiming(split.stats)).toEqual(withoutTiming(whole.stats));
    },
  );

  it("decodes a 3-byte character cut after its first and after its second byte", () => {
    const data = bytes(R1);
    const at = Buffer.from(data).indexOf(Buffer.from("更", "utf8"));
    expect(at).toBeGreaterThan(0);
    const whole = translate(R1, "deepseek-r1", "deepseek-reasoner").output;
    expect(translate(R1, "deepseek-r1", "deepseek-reasoner", [at + 1]).output).toBe(whole);
    expect(translate(R1, "deepseek-r1", "deepseek-reasoner", [at + 2]).output).toBe(whole);
    expect(translate(R1, "deepseek-r1", "deepseek-reasoner", [at + 1, at + 2]).output).toBe(whole);
    expect(whole).toContain("更大");
    expect(whole).not.toContain("\uFFFD");
  });

  it("decodes a 4-byte emoji cut in the middle", () => {
    const at = Buffer.from(bytes(OPENAI)).indexOf(Buffer.from("👋", "utf8"));
    const { output } = translate(OPENAI, "gpt-4o", "gpt-4o", [at + 1, at + 3]);
    expect(output).toContain(" 👋");
    expect(output).not.toContain("\uFFFD");
  });

  it("handles a cut inside `data:`, inside the model name and between the two newlines", () => {
    const text = TOOL_CALL;
    const second = text.indexOf("data:", 1);
    const model = text.indexOf("deepseek-chat", second);
    const blank = text.indexOf("\n\n", second);
    const whole = translate(text, "deepseek-v3", "deepseek-chat").output;
    const cuts = [second + 2, model + 8, blank + 1].map((i) => Buffer.byteLength(text.slice(0, i)));
    expect(translate(text, "deepseek-v3", "deepseek-chat", cuts).output).toBe(whole);
  });

  it("writes nothing until an event is complete, then the whole event at once", () => {
    const translator = new ChatStreamTranslator("deepseek-v3");
    const first = blocks(TOOL_CALL)[0] + "\n\n";
    expect(translator.push(bytes(first.slice(0, 40)))).toBe("");
    expect(translator.push(bytes(first.slice(40, -1)))).toBe(""); // blank line not complete yet
    const written = translator.push(bytes(first.slice(-1)));
    expect(written).toBe(first.replace('"model":"deepseek-chat"', '"model":"deepseek-v3"'));
  });

  it("accepts CRLF line endings", () => {
    const crlf = TOOL_CALL.replaceAll("\n", "\r\n");
    const lf = translate(TOOL_CALL, "deepseek-v3", "deepseek-chat");
    const got = translate(crlf, "deepseek-v3", "deepseek-chat");
    expect(got.output).toBe(lf.output);
    expect(withoutTiming(got.stats)).toEqual(withoutTiming(lf.stats));
  });
});

describe("model rewriting", () => {
  const chunk = (model: string, content: string) =>
    `{"id":"x","object":"chat.completion.chunk","created":1,"model":"${model}","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}`;

  it("keeps \\u escapes and key order of a passed-through chunk (no re-encoding)", () => {
    const data = chunk("deepseek-chat", "\\u4f60\\u597d");
    const { output } = translate(`data: ${data}\n\n`, "deepseek-v3", "deepseek-chat");
    expect(output).toBe(`data: ${chunk("deepseek-v3", "\\u4f60\\u597d")}\n\n`);
  });

  it("does not touch the upstream id where it appears inside the message text", () => {
    const data = chunk("deepseek-chat", 'I am \\"deepseek-chat\\", \\"model\\":\\"deepseek-chat\\"');
    const { output } = translate(`data: ${data}\n\n`, "deepseek-v3", "deepseek-chat");
    const [event] = events(output);
    expect(event.model).toBe("deepseek-v3");
    const [choice] = event.choices as Array<{ delta: { content: string } }>;
    expect(choice.delta.content).toBe('I am "deepseek-chat", "model":"deepseek-chat"');
  });

  it("re-encodes a chunk whose model field has unusual spacing, so the upstream id never leaks", () => {
    const data = '{"id":"x","model" : "deepseek-chat","choices":[{"index":0,"delta":{"content":"a"}}]}';
    const { output } = translate(`data: ${data}\n\n`, "deepseek-v3", "deepseek-chat");
    expect(output).not.toContain("deepseek-chat");
    expect(events(output)[0]).toEqual({
      id: "x",
      model: "deepseek-v3",
      choices: [{ index: 0, delta: { content: "a" } }],
    });
  });

  it("passes a chunk without a model field through unchanged", () => {
    const data = '{"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}';
    expect(translate(`data: ${data}\n\n`, "deepseek-v3", "deepseek-chat").output).toBe(`data: ${data}\n\n`);
  });

  it("passes a chunk that already names the public model through unchanged", () => {
    const data = chunk("deepseek-v3", "a");
    expect(translate(`data: ${data}\n\n`, "deepseek-v3", "deepseek-chat").output).toBe(`data: ${data}\n\n`);
  });
});

describe("events that are not forwarded", () => {
  const content = (text: string) =>
    `data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"${text}"}}]}\n\n`;

  it("drops [DONE] and records it", () => {
    const translator = new ChatStreamTranslator("m");
    expect(translator.stats.sawDone).toBe(false);
    expect(translator.push(bytes("data: [DONE]\n\n"))).toBe("");
    expect(translator.stats.sawDone).toBe(true);
  });

  it("drops and counts malformed events, and keeps forwarding the good ones around them", () => {
    const text = content("a") + 'data: {"id":"c","choices":[{\n\n' + "data: not json\n\n" + content("b");
    const { output, stats } = translate(text, "m", "m");
    expect(output).toBe(content("a") + content("b"));
    expect(stats.malformedEvents).toBe(2);
    expect(stats.deltas).toBe(2);
  });

  it("ignores SSE comments and other fields without counting them as malformed", () => {
    const text = ": OPENROUTER PROCESSING\n\n" + "event: message\n" + content("a") + "retry: 1000\n\n";
    const { output, stats } = translate(text, "m", "m");
    expect(output).toBe(content("a"));
    expect(stats.malformedEvents).toBe(0);
  });

  it("records an upstream error event instead of forwarding it, and the stream is then not completed", () => {
    const error =
      'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n';
    const { output, stats, translator } = translate(content("a") + error + "data: [DONE]\n\n", "m", "m");
    expect(output).toBe(content("a"));
    expect(stats.upstreamError).toBe("upstream sent an error event");
    expect(stats.sawDone).toBe(true);
    expect(translator.completed).toBe(false);
  });

  it("holds back a usage-only chunk even when no model rewrite is needed", () => {
    const usage =
      'data: {"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n';
    const { output, stats } = translate(content("a") + usage, "m", "m");
    expect(output).toBe(content("a"));
    expect(stats.usage).toEqual({ inputTokens: 3, cachedInputTokens: 0, outputTokens: 1 });
  });

  it("strips usage riding on a content chunk, forwards its content and counts it", () => {
    const data =
      '{"id":"c","model":"up","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":{"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}}';
    const { output, stats } = translate(`data: ${data}\n\n`, "pub", "up");
    expect(events(output)).toEqual([
      { id: "c", model: "pub", choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] },
    ]);
    expect(stats.deltas).toBe(1);
    expect(stats.usage).toEqual({ inputTokens: 7, cachedInputTokens: 0, outputTokens: 1 });
    expect(stats.rawUsage).toEqual({ prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 });
  });

  it("keeps the last usage when a provider repeats cumulative usage on several chunks", () => {
    const chunkWith = (completion: number) =>
      `data: {"model":"m","choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":5,"completion_tokens":${completion}}}\n\n`;
    const { stats } = translate(chunkWith(1) + chunkWith(2) + chunkWith(3), "m", "m");
    expect(stats.usage).toEqual({ inputTokens: 5, cachedInputTokens: 0, outputTokens: 3 });
  });

  // JSON that is not an object (`data: null`) is malformed: dropped and counted, the stream goes on.
  it("drops a `data: null` event as malformed instead of throwing", () => {
    const translator = new ChatStreamTranslator("m");
    expect(translator.push(bytes("data: null\n\n" + content("a")))).toBe(content("a"));
    expect(translator.stats.malformedEvents).toBe(1);
  });

  // An event whose data spans several `data:` lines (valid SSE) is forwarded as one valid line.
  it("forwards an event whose JSON spans several data: lines as a valid single-line event", () => {
    const text = 'data: {"id":"c","model":"m",\ndata: "choices":[{"index":0,"delta":{"content":"a"}}]}\n\n';
    const { output } = translate(text, "m", "m");
    expect(events(output)).toEqual([{ id: "c", model: "m", choices: [{ index: 0, delta: { content: "a" } }] }]);
  });
});

describe("completed", () => {
  const finishChunk = 'data: {"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
  const usageChunk = 'data: {"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n';
  const contentChunk = 'data: {"model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n';

  it.each([
    { stream: "", expected: false, why: "nothing received" },
    { stream: contentChunk, expected: false, why: "cut off mid-answer" },
    { stream: contentChunk + "data: [DONE]\n\n", expected: true, why: "[DONE] received" },
    { stream: contentChunk + finishChunk + usageChunk, expected: true, why: "finished and reported usage" },
    { stream: contentChunk + finishChunk, expected: false, why: "finished but no usage and no [DONE]" },
    { stream: contentChunk + usageChunk, expected: false, why: "usage but no finish_reason and no [DONE]" },
  ])("is $expected when $why", ({ stream, expected }) => {
    expect(translate(stream, "m", "m").translator.completed).toBe(expected);
  });
});

describe("firstDeltaAt", () => {
  it("is set at the first output delta and not moved by later ones", () => {
    const now = vi.spyOn(performance, "now");
    const translator = new ChatStreamTranslator("m");
    now.mockReturnValue(100);
    translator.push(bytes('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'));
    expect(translator.stats.firstDeltaAt).toBeNull();
    now.mockReturnValue(250);
    translator.push(bytes('data: {"choices":[{"index":0,"delta":{"reasoning_content":"Hm"}}]}\n\n'));
    now.mockReturnValue(900);
    translator.push(bytes('data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'));
    expect(translator.stats.firstDeltaAt).toBe(250);
  });
});

describe("usageEvent", () => {
  it("is an OpenAI usage chunk: empty choices, public model, the upstream's id/created/fingerprint", () => {
    const { translator } = translate(R1, "deepseek-r1", "deepseek-reasoner");
    const usage = { prompt_tokens: 85, completion_tokens: 13, total_tokens: 98, cost: "0.000031" };
    const event = translator.usageEvent(usage);
    expect(event.startsWith("data: ")).toBe(true);
    expect(event.endsWith("\n\n")).toBe(true);
    expect(event.slice(6, -2)).not.toContain("\n");
    expect(JSON.parse(event.slice(6))).toEqual({
      id: "5c8f7e2a-91d3-4b6e-a0f4-2d7c9e1b3a65",
      object: "chat.completion.chunk",
      created: 1738291054,
      model: "deepseek-r1",
      system_fingerprint: "fp_5417b77867_prod0225",
      choices: [],
      usage,
    });
  });

  it("falls back to the current time and leaves out what the upstream never sent", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2025-03-01T12:00:00.750Z"));
    const translator = new ChatStreamTranslator("pub");
    const event = JSON.parse(translator.usageEvent({ prompt_tokens: 1 }).slice(6));
    expect(event).toEqual({
      object: "chat.completion.chunk",
      created: Math.floor(Date.parse("2025-03-01T12:00:00Z") / 1000),
      model: "pub",
      choices: [],
      usage: { prompt_tokens: 1 },
    });
  });
});
