import { describe, expect, it } from "vitest";
import type { ChatChunk } from "../../canonical";
import { CACHED_STREAM, ERROR_STREAM, TEXT_STREAM, THINKING_STREAM, TOOL_STREAM } from "./__fixtures__/messages";
import { AnthropicStreamDecoder } from "./stream";

function decode(text: string, publicModel = "claude-opus-4") {
  const decoder = new AnthropicStreamDecoder(publicModel);
  return { decoder, chunks: decoder.push(text) };
}

/** Bytes cut at `cuts` (UTF-8 characters may be split), decoded as a network reader would. */
function decodeInPieces(text: string, cuts: number[]) {
  const bytes = new TextEncoder().encode(text);
  const utf8 = new TextDecoder();
  const decoder = new AnthropicStreamDecoder("claude-opus-4");
  const chunks: ChatChunk[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(...decoder.push(utf8.decode(bytes.subarray(start, cut), { stream: true })));
    start = cut;
  }
  return { decoder, chunks };
}

const deltas = (chunks: ChatChunk[]) => chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0].delta);
const contentOf = (chunks: ChatChunk[]) =>
  deltas(chunks)
    .map((d) => d.content ?? "")
    .join("");

describe("AnthropicStreamDecoder", () => {
  it("decodes a text stream into role, content, finish and usage chunks", () => {
    const { decoder, chunks } = decode(TEXT_STREAM);
    const base = {
      id: "chatcmpl-msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
      object: "chat.completion.chunk",
      created: expect.any(Number),
      model: "claude-opus-4",
    };
    const choice = (delta: object, finish_reason: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, finish_reason }],
    });
    expect(chunks).toEqual([
      choice({ role: "assistant", content: "" }),
      choice({ content: "Hello" }),
      choice({ content: "! 日本語 👋" }),
      choice({}, "stop"),
      {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: 25,
          completion_tokens: 15,
          total_tokens: 40,
          prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        },
      },
    ]);
    expect(decoder.finished).toBe(true);
    expect(decoder.error).toBeNull();
    expect(decoder.messageId).toBe("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
    expect(decoder.malformedEvents).toBe(0);
  });

  it("numbers two tool_use blocks 0 and 1 and streams their input as argument pieces", () => {
    const { chunks } = decode(TOOL_STREAM);
    const calls = deltas(chunks).flatMap((d) => d.tool_calls ?? []);
    expect(calls).toEqual([
      {
        index: 0,
        id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        type: "function",
        function: { name: "get_weather", arguments: "" },
      },
      { index: 0, function: { arguments: '{"location":' } },
      { index: 0, function: { arguments: ' "San Francisc' } },
      { index: 0, function: { arguments: 'o, CA", "unit": "fah' } },
      { index: 0, function: { arguments: 'renheit"}' } },
      {
        index: 1,
        id: "toolu_01CqvMdLpMDB7pLzMS1j8oZo",
        type: "function",
        function: { name: "get_time", arguments: "" },
      },
      { index: 1, function: { arguments: '{"timezone": ' } },
      { index: 1, function: { arguments: '"America/Los_Angeles"}' } },
    ]);
    const args = (index: number) =>
      calls
        .filter((c) => c.index === index)
        .map((c) => c.function?.arguments ?? "")
        .join("");
    expect(JSON.parse(args(0))).toEqual({ location: "San Francisco, CA", unit: "fahrenheit" });
    expect(JSON.parse(args(1))).toEqual({ timezone: "America/Los_Angeles" });
    expect(contentOf(chunks)).toBe("Okay, let's check the weather and time for San Francisco, CA:");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("streams thinking as reasoning_content and drops the signature", () => {
    const { chunks } = decode(THINKING_STREAM);
    const reasoning = deltas(chunks)
      .map((d) => d.reasoning_content ?? "")
      .join("");
    expect(reasoning).toBe("Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3");
    expect(contentOf(chunks)).toBe("27 * 453 = 12,231");
    expect(JSON.stringify(chunks)).not.toContain("EqQBCgIYAhIM");
    // role, two reasoning deltas, one text delta, finish, usage
    expect(chunks).toHaveLength(6);
  });

  it("takes input and cache tokens from message_start and the cumulative output from message_delta", () => {
    const { decoder, chunks } = decode(CACHED_STREAM);
    const expected = {
      prompt_tokens: 2069,
      completion_tokens: 393,
      total_tokens: 2462,
      prompt_tokens_details: { cached_tokens: 1800, cache_write_tokens: 248 },
    };
    expect(decoder.usage).toEqual(expected);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: expected });
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe("length");
  });

  it("keeps the latest non-null usage values: message_delta output replaces, absent fields stay", () => {
    const decoder = new AnthropicStreamDecoder("m");
    decoder.push(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":100,"cache_read_input_tokens":50,"output_tokens":1}}}\n\n',
    );
    expect(decoder.usage).toMatchObject({ prompt_tokens: 150, completion_tokens: 1 });
    decoder.push(
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":40}}\n\n',
    );
    expect(decoder.usage).toMatchObject({ prompt_tokens: 150, completion_tokens: 40 });
    decoder.push(
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":100,"cache_read_input_tokens":null,"output_tokens":75}}\n\n',
    );
    expect(decoder.usage).toEqual({
      prompt_tokens: 150,
      completion_tokens: 75,
      total_tokens: 225,
      prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 0 },
    });
    expect(decoder.finished).toBe(false);
  });

  it("records a mid-stream error event, emits nothing for it and never finishes", () => {
    const { decoder, chunks } = decode(ERROR_STREAM);
    expect(decoder.error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect(decoder.finished).toBe(false);
    expect(contentOf(chunks)).toBe("Once upon a time");
    expect(chunks.every((c) => c.choices.length === 1 && c.choices[0].finish_reason === null)).toBe(true);
    expect(decoder.usage).toMatchObject({ prompt_tokens: 25, completion_tokens: 1 });
  });

  it("gives the same chunks however the bytes are split, even inside a UTF-8 character", () => {
    for (const fixture of [TEXT_STREAM, TOOL_STREAM, THINKING_STREAM]) {
      const whole = decodeInPieces(fixture, []);
      const size = new TextEncoder().encode(fixture).length;
      const everyByte = decodeInPieces(
        fixture,
        Array.from({ length: size - 1 }, (_, i) => i + 1),
      );
      const strideSeven = decodeInPieces(
        fixture,
        Array.from({ length: Math.floor(size / 7) }, (_, i) => (i + 1) * 7),
      );
      const strip = (chunks: ChatChunk[]) => chunks.map((chunk) => ({ ...chunk, created: 0 }));
      expect(strip(everyByte.chunks)).toEqual(strip(whole.chunks));
      expect(strip(strideSeven.chunks)).toEqual(strip(whole.chunks));
      expect(everyByte.decoder.finished).toBe(true);
    }
    // A cut inside 👋 (4 bytes in UTF-8) still yields the whole character once.
    const emoji = new TextEncoder().encode(TEXT_STREAM.slice(0, TEXT_STREAM.indexOf("👋"))).length + 2;
    expect(contentOf(decodeInPieces(TEXT_STREAM, [emoji]).chunks)).toBe("Hello! 日本語 👋");
  });

  it("skips malformed events and counts them, and ignores unknown event types", () => {
    const decoder = new AnthropicStreamDecoder("m");
    const chunks = decoder.push(
      [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_x","usage":{"input_tokens":3,"output_tokens":1}}}',
        "event: content_block_delta\ndata: {not json",
        "data: [1,2]",
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}',
        'event: brand_new_event\ndata: {"type":"brand_new_event","x":1}',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}',
        "",
      ].join("\n\n"),
    );
    expect(decoder.malformedEvents).toBe(2);
    expect(deltas(chunks)).toEqual([{ role: "assistant", content: "" }, { content: "ok" }]);
  });

  it("emits no usage chunk when the stream never reported usage", () => {
    const decoder = new AnthropicStreamDecoder("m");
    const chunks = decoder.push('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    expect(chunks).toEqual([]);
    expect(decoder.finished).toBe(true);
    expect(decoder.usage).toBeNull();
  });
});
