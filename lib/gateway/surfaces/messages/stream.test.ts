import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CanonicalUsage, ChatChunk } from "@/lib/gateway/canonical";
import { ChatToMessagesStream } from "./stream";

// Upstream streams recorded in lib/gateway/providers/__fixtures__ (see stream-translator.test.ts for
// their provenance): gpt-4o text with include_usage, deepseek-reasoner reasoning then text, and
// deepseek-chat calling a tool. The expected output follows Anthropic's documented event flow
// (https://docs.anthropic.com/en/api/messages-streaming).

function chunks(name: string): ChatChunk[] {
  const text = readFileSync(new URL(`../../providers/__fixtures__/${name}`, import.meta.url), "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => JSON.parse(line.slice("data: ".length)) as ChatChunk);
}

/** The usage an integrator hands to finish(): the one the upstream reported. */
function lastUsage(list: ChatChunk[]): CanonicalUsage | null {
  return list.findLast((chunk) => chunk.usage)?.usage ?? null;
}

function translate(list: ChatChunk[], messageId = "msg_test"): string {
  const stream = new ChatToMessagesStream({ publicModel: "public-model", messageId });
  return list.map((chunk) => stream.push(chunk)).join("") + stream.finish(lastUsage(list));
}

interface Event {
  event: string;
  data: Record<string, any>;
}

/** Splits SSE text into events, checking the framing: `event: x`, `data: {"type":"x",…}`, blank line. */
function events(sse: string): Event[] {
  expect(sse.endsWith("\n\n")).toBe(true);
  return sse
    .slice(0, -2)
    .split("\n\n")
    .map((frame) => {
      const [eventLine, dataLine, ...rest] = frame.split("\n");
      expect(rest).toEqual([]);
      expect(eventLine).toMatch(/^event: [a-z_]+$/);
      expect(dataLine.startsWith("data: ")).toBe(true);
      const event = eventLine.slice("event: ".length);
      const data = JSON.parse(dataLine.slice("data: ".length));
      expect(data.type).toBe(event);
      return { event, data };
    });
}

/**
 * Rebuilds the final Message from the events the way Anthropic's SDKs do (MessageStream's
 * accumulator), enforcing the protocol: one message_start first, deltas only into the open block,
 * blocks closed before the next starts, message_delta then message_stop last.
 */
function accumulate(list: Event[]) {
  expect(list[0].event).toBe("message_start");
  const message = structuredClone(list[0].data.message);
  const json = new Map<number, string>();
  let open: number | null = null;
  for (const { event, data } of list.slice(1, -2)) {
    if (event === "content_block_start") {
      expect(open).toBeNull();
      expect(data.index).toBe(message.content.length);
      message.content.push(structuredClone(data.content_block));
      open = data.index;
    } else if (event === "content_block_delta") {
      expect(data.index).toBe(open);
      const block = message.content[data.index];
      if (data.delta.type === "text_delta") block.text += data.delta.text;
      else if (data.delta.type === "thinking_delta") block.thinking += data.delta.thinking;
      else if (data.delta.type === "input_json_delta")
        json.set(data.index, (json.get(data.index) ?? "") + data.delta.partial_json);
      else expect.fail(`unexpected delta ${data.delta.type}`);
    } else if (event === "content_block_stop") {
      expect(data.index).toBe(open);
      if (json.has(data.index)) message.content[data.index].input = JSON.parse(json.get(data.index)!);
      open = null;
    } else expect.fail(`unexpected event ${event}`);
  }
  expect(open).toBeNull();
  const [delta, stop] = list.slice(-2);
  expect(delta.event).toBe("message_delta");
  expect(stop).toEqual({ event: "message_stop", data: { type: "message_stop" } });
  Object.assign(message, delta.data.delta);
  Object.assign(message.usage, delta.data.usage);
  return message;
}

describe("ChatToMessagesStream", () => {
  it("streams gpt-4o text byte for byte in Anthropic's format", () => {
    const list = chunks("openai-gpt-4o-include-usage.sse.txt");
    const stream = new ChatToMessagesStream({ publicModel: "gpt-4o", messageId: "msg_BQv7kXh2mT9sYp4LcE1aRn0dWfGuZ" });
    const out = stream.start() + list.map((chunk) => stream.push(chunk)).join("") + stream.finish(lastUsage(list));
    expect(out).toBe(
      [
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_BQv7kXh2mT9sYp4LcE1aRn0dWfGuZ","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}\n\n',
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bonjour"}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" !"}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" Ça"}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" va"}}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" 👋"}}\n\n',
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5,"input_tokens":93,"cache_read_input_tokens":1024,"cache_creation_input_tokens":0}}\n\n',
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      ].join(""),
    );
  });

  it("streams deepseek-reasoner's reasoning as a thinking block, then the answer as a text block", () => {
    const list = chunks("deepseek-reasoner-stream.sse.txt");
    const out = events(translate(list));
    expect(out.filter((e) => e.event === "content_block_start").map((e) => e.data)).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
    ]);
    const reasoning = list.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("");
    const answer = list.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(accumulate(out)).toEqual({
      id: "msg_test",
      type: "message",
      role: "assistant",
      model: "public-model",
      content: [
        { type: "thinking", thinking: reasoning, signature: "" },
        { type: "text", text: answer },
      ],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 85, output_tokens: 13, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
    expect(answer).toContain("9.80 > 9.11");
  });

  it("streams deepseek-chat's tool call as a tool_use block with input_json_delta fragments", () => {
    const out = events(translate(chunks("deepseek-chat-tool-call.sse.txt")));
    expect(out[1].data).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: {
        type: "tool_use",
        id: "call_0_4c7d2f6e-3b1a-4e8f-9d5c-2a6b8e0f1c37",
        name: "get_weather",
        input: {},
      },
    });
    expect(out.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.partial_json)).toEqual([
      '{"',
      "location",
      '":"',
      "杭州",
      '"}',
    ]);
    const message = accumulate(out);
    expect(message.content).toEqual([
      {
        type: "tool_use",
        id: "call_0_4c7d2f6e-3b1a-4e8f-9d5c-2a6b8e0f1c37",
        name: "get_weather",
        input: { location: "杭州" },
      },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toEqual({
      input_tokens: 4,
      output_tokens: 21,
      cache_read_input_tokens: 192,
      cache_creation_input_tokens: 0,
    });
  });

  it("gives two parallel tool calls a block each, after the text that introduced them", () => {
    // OpenAI's parallel tool calls: each call's id and name first, then its arguments, index by index.
    const base = { id: "chatcmpl-par", object: "chat.completion.chunk" as const, created: 1, model: "gpt-4o" };
    const delta = (d: ChatChunk["choices"][0]["delta"], finish: ChatChunk["choices"][0]["finish_reason"] = null) => ({
      ...base,
      choices: [{ index: 0, delta: d, finish_reason: finish }],
    });
    const call = (index: number, id: string | undefined, name: string | undefined, args: string) => ({
      index,
      ...(id ? { id, type: "function" as const } : {}),
      function: { ...(name ? { name } : {}), arguments: args },
    });
    const list: ChatChunk[] = [
      delta({ role: "assistant", content: "Checking both cities." }),
      delta({ tool_calls: [call(0, "call_sf", "get_weather", "")] }),
      delta({ tool_calls: [call(0, undefined, undefined, '{"location": "San Francisco, CA"}')] }),
      delta({ tool_calls: [call(1, "call_ny", "get_weather", "")] }),
      delta({ tool_calls: [call(1, undefined, undefined, '{"location": ')] }),
      delta({ tool_calls: [call(1, undefined, undefined, '"New York, NY"}')] }),
      delta({}, "tool_calls"),
      { ...base, choices: [], usage: { prompt_tokens: 80, completion_tokens: 40, total_tokens: 120 } },
    ];
    const out = events(translate(list, "msg_par"));
    expect(out.map((e) => `${e.event}${e.data.index === undefined ? "" : ` ${e.data.index}`}`)).toEqual([
      "message_start",
      "content_block_start 0",
      "content_block_delta 0",
      "content_block_stop 0",
      "content_block_start 1",
      "content_block_delta 1",
      "content_block_stop 1",
      "content_block_start 2",
      "content_block_delta 2",
      "content_block_delta 2",
      "content_block_stop 2",
      "message_delta",
      "message_stop",
    ]);
    const message = accumulate(out);
    expect(message.content).toEqual([
      { type: "text", text: "Checking both cities." },
      { type: "tool_use", id: "call_sf", name: "get_weather", input: { location: "San Francisco, CA" } },
      { type: "tool_use", id: "call_ny", name: "get_weather", input: { location: "New York, NY" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toEqual({
      input_tokens: 80,
      output_tokens: 40,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it("reports the final usage with cache reads and writes in message_delta, and an input estimate in message_start", () => {
    const stream = new ChatToMessagesStream({ publicModel: "m", messageId: "msg_1" });
    const start = events(stream.start({ input_tokens: 2_100 }))[0];
    expect(start.data.message.usage).toEqual({
      input_tokens: 2_100,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    stream.push({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "x",
      choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: "length" }],
    });
    const end = events(
      stream.finish({
        prompt_tokens: 2_095,
        completion_tokens: 503,
        total_tokens: 2_598,
        prompt_tokens_details: { cached_tokens: 1_024, cache_write_tokens: 1_000 },
      }),
    );
    expect(end.map((e) => e.event)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(end[1].data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "max_tokens", stop_sequence: null },
      usage: {
        output_tokens: 503,
        input_tokens: 71,
        cache_read_input_tokens: 1_024,
        cache_creation_input_tokens: 1_000,
      },
    });
  });

  it("starts implicitly on the first push, once, and reads only choice 0", () => {
    const stream = new ChatToMessagesStream({ publicModel: "m", messageId: "msg_2" });
    const chunk: ChatChunk = {
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "x",
      choices: [
        { index: 1, delta: { content: "other choice" }, finish_reason: null },
        { index: 0, delta: { content: "Hi" }, finish_reason: null },
      ],
    };
    const first = events(stream.push(chunk));
    expect(first.map((e) => e.event)).toEqual(["message_start", "content_block_start", "content_block_delta"]);
    expect(first[2].data.delta).toEqual({ type: "text_delta", text: "Hi" });
    expect(stream.start()).toBe("");
    expect(events(stream.push(chunk)).map((e) => e.event)).toEqual(["content_block_delta"]);
  });

  it("finishes an empty answer with just the message frame", () => {
    const stream = new ChatToMessagesStream({ publicModel: "m", messageId: "msg_3" });
    const out = events(stream.finish(null));
    expect(out.map((e) => e.event)).toEqual(["message_start", "message_delta", "message_stop"]);
    expect(out[1].data.delta.stop_reason).toBe("end_turn");
    expect(stream.finish(null)).toBe("");
  });

  it("ends the stream with Anthropic's error event, after which nothing more is written", () => {
    const stream = new ChatToMessagesStream({ publicModel: "m", messageId: "msg_4" });
    stream.start();
    expect(stream.error("overloaded_error", "Overloaded")).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
    const chunk: ChatChunk = {
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "x",
      choices: [{ index: 0, delta: { content: "late" }, finish_reason: null }],
    };
    expect(stream.push(chunk) + stream.finish(null) + stream.error("api_error", "again") + stream.ping()).toBe("");
  });

  it("writes pings in Anthropic's format", () => {
    expect(new ChatToMessagesStream({ publicModel: "m", messageId: "msg_5" }).ping()).toBe(
      'event: ping\ndata: {"type":"ping"}\n\n',
    );
  });
});
