import { describe, expect, it } from "vitest";
import type { ChatChunk } from "@/lib/gateway/canonical";
import { chatCompletionToResponse } from "./response";
import { ChatToResponsesStream } from "./stream";
import { chunk, completion, context, parseSse, request, USAGE, type SseEvent } from "./__fixtures__/responses";

function run(chunks: ChatChunk[], ctx = context(), cost = "0.001"): SseEvent[] {
  const stream = new ChatToResponsesStream(ctx);
  const text = stream.start() + chunks.map((c) => stream.push(c)).join("") + stream.finish(USAGE, cost);
  return checkedEvents(text);
}

/** Parses and checks what every stream must satisfy: sequence numbers 0, 1, 2 … */
function checkedEvents(text: string): SseEvent[] {
  const events = parseSse(text);
  expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
  return events;
}

const types = (events: SseEvent[]) => events.map((e) => e.event);
const last = (events: SseEvent[]) => events[events.length - 1].data;

describe("ChatToResponsesStream", () => {
  it("streams text as one message item and ends with the same Response as the non-streaming answer", () => {
    const events = run([
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
    ]);
    expect(types(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[0].data.response).toMatchObject({ id: "resp_abc", status: "in_progress", output: [], usage: null });
    expect(events[2].data).toEqual({
      type: "response.output_item.added",
      sequence_number: 2,
      output_index: 0,
      item: { type: "message", id: "msg_abc_0", status: "in_progress", role: "assistant", content: [] },
    });
    expect(events[3].data).toEqual({
      type: "response.content_part.added",
      sequence_number: 3,
      item_id: "msg_abc_0",
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [], logprobs: [] },
    });
    expect(events[4].data).toEqual({
      type: "response.output_text.delta",
      sequence_number: 4,
      item_id: "msg_abc_0",
      output_index: 0,
      content_index: 0,
      delta: "Hel",
      logprobs: [],
    });
    expect(events[6].data).toMatchObject({ type: "response.output_text.done", text: "Hello", logprobs: [] });
    expect(events[8].data.item).toMatchObject({ status: "completed", content: [{ text: "Hello" }] });
    expect(last(events).response).toEqual(
      chatCompletionToResponse(completion({ content: "Hello" }), { ...context(), costUsd: "0.001" }),
    );
    expect(last(events).response.usage.cost_usd).toBe("0.001");
  });

  it("streams two tool calls as function_call items, each announced once and closed at the end", () => {
    const tools = [{ type: "function", name: "weather", parameters: { type: "object" } }];
    const ctx = context(request({ tools }));
    const events = run(
      [
        chunk({ role: "assistant", content: null }),
        chunk({
          tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "weather", arguments: "" } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({
          tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "weather", arguments: "" } }],
        }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city":"Rome"}' } }] }),
        chunk({}, "tool_calls"),
      ],
      ctx,
    );
    expect(types(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[2].data).toEqual({
      type: "response.output_item.added",
      sequence_number: 2,
      output_index: 0,
      item: {
        type: "function_call",
        id: "fc_abc_0",
        call_id: "call_1",
        name: "weather",
        arguments: "",
        status: "in_progress",
      },
    });
    expect(events[3].data).toEqual({
      type: "response.function_call_arguments.delta",
      sequence_number: 3,
      item_id: "fc_abc_0",
      output_index: 0,
      delta: '{"city":',
    });
    expect(events[7].data).toEqual({
      type: "response.function_call_arguments.done",
      sequence_number: 7,
      item_id: "fc_abc_0",
      output_index: 0,
      name: "weather",
      arguments: '{"city":"Paris"}',
    });
    expect(last(events).response).toEqual(
      chatCompletionToResponse(
        completion(
          {
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
              { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
            ],
          },
          "tool_calls",
        ),
        { ...ctx, costUsd: "0.001" },
      ),
    );
  });

  it("closes the message before the first tool call, and copes with interleaved and unnamed call deltas", () => {
    const events = run([
      chunk({ content: "Let me check." }),
      // Some upstreams send every call in one chunk; the second has its name only later.
      chunk({
        tool_calls: [
          { index: 0, id: "call_1", function: { name: "a", arguments: "{" } },
          { index: 1, id: "call_2", function: { arguments: "{" } },
        ],
      }),
      chunk({ tool_calls: [{ index: 1, function: { name: "b", arguments: "}" } }] }),
      chunk({ tool_calls: [{ index: 0, id: "call_1", function: { name: "a", arguments: "}" } }] }),
      chunk({}, "tool_calls"),
    ]);
    expect(types(events).slice(2, 9)).toEqual([
      "response.output_item.added", // message
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added", // call a
    ]);
    const output = last(events).response.output;
    expect(output.map((item: { id: string }) => item.id)).toEqual(["msg_abc_0", "fc_abc_1", "fc_abc_2"]);
    expect(output[1]).toMatchObject({ call_id: "call_1", name: "a", arguments: "{}", status: "completed" });
    expect(output[2]).toMatchObject({ call_id: "call_2", name: "b", arguments: "{}", status: "completed" });
  });

  it("streams reasoning_content as a reasoning item's summary, closed when the text begins", () => {
    const events = run([
      chunk({ reasoning_content: "Think" }),
      chunk({ reasoning_content: " first." }),
      chunk({ content: "42" }),
      chunk({}, "stop"),
    ]);
    expect(types(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[2].data.item).toEqual({ type: "reasoning", id: "rs_abc_0", summary: [] });
    expect(events[3].data).toMatchObject({
      item_id: "rs_abc_0",
      summary_index: 0,
      part: { type: "summary_text", text: "" },
    });
    expect(events[4].data).toMatchObject({ item_id: "rs_abc_0", output_index: 0, summary_index: 0, delta: "Think" });
    expect(events[7].data.part).toEqual({ type: "summary_text", text: "Think first." });
    expect(last(events).response).toEqual(
      chatCompletionToResponse(completion({ reasoning_content: "Think first.", content: "42" }), {
        ...context(),
        costUsd: "0.001",
      }),
    );
  });

  it("ends with response.incomplete when the output was cut by the token limit", () => {
    const events = run([chunk({ content: "Once upon a" }), chunk({}, "length")]);
    expect(types(events).at(-1)).toBe("response.incomplete");
    expect(events.at(-2)?.data.item.status).toBe("incomplete");
    expect(last(events).response).toEqual(
      chatCompletionToResponse(completion({ content: "Once upon a" }, "length"), { ...context(), costUsd: "0.001" }),
    );
  });

  it("fails with response.failed and an error event carrying the error as the SDKs expect it", () => {
    const stream = new ChatToResponsesStream(context());
    const text =
      stream.start() + stream.push(chunk({ content: "Hel" })) + stream.error("timeout", "Upstream timed out.");
    const events = checkedEvents(text);
    expect(types(events).slice(-2)).toEqual(["response.failed", "error"]);
    expect(events.at(-2)?.data.response).toMatchObject({
      status: "failed",
      error: { code: "timeout", message: "Upstream timed out." },
      output: [{ type: "message", status: "incomplete", content: [{ type: "output_text", text: "Hel" }] }],
      usage: null,
    });
    expect(last(events)).toEqual({
      type: "error",
      sequence_number: events.length - 1,
      code: "timeout",
      message: "Upstream timed out.",
      param: null,
      error: { type: "api_error", code: "timeout", message: "Upstream timed out.", param: null },
    });
    expect(stream.push(chunk({ content: "more" }))).toBe("");
    expect(stream.finish(USAGE, "0")).toBe("");
  });

  it("starts by itself and ignores empty deltas, other choices and calls after the end", () => {
    const stream = new ChatToResponsesStream(context());
    const first = checkedEvents(stream.push(chunk({ role: "assistant", content: "" })));
    expect(types(first)).toEqual(["response.created", "response.in_progress"]);
    expect(stream.start()).toBe("");
    const other: ChatChunk = {
      ...chunk({ content: "x" }),
      choices: [{ index: 1, delta: { content: "x" }, finish_reason: null }],
    };
    expect(stream.push(other)).toBe("");
    const end = parseSse(stream.finish(null, "0.00"));
    expect(end.map((e) => e.event)).toEqual(["response.completed"]);
    expect(end[0].data.response).toMatchObject({ status: "completed", output: [], usage: null });
    expect(stream.push(chunk({ content: "late" }))).toBe("");
    expect(stream.error("x", "y")).toBe("");
  });
});
