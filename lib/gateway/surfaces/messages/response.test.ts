import { describe, expect, it } from "vitest";
import type { ChatCompletion } from "@/lib/gateway/canonical";
import { chatCompletionToMessage, messageIdFromCompletionId, usageToAnthropic } from "./response";

// Completions as OpenAI-compatible upstreams return them: gpt-4o text
// (https://platform.openai.com/docs/api-reference/chat/object), deepseek-chat tool calls and
// deepseek-reasoner reasoning_content (https://api-docs.deepseek.com/guides/reasoning_model).

function completion(
  message: ChatCompletion["choices"][0]["message"],
  extra: Partial<ChatCompletion> = {},
): ChatCompletion {
  return {
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion",
    created: 1741569952,
    model: "gpt-4o-2024-08-06",
    choices: [{ index: 0, message, logprobs: null, finish_reason: "stop" }],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
    ...extra,
  };
}

describe("chatCompletionToMessage", () => {
  it("turns a text answer into a Message with the public model name", () => {
    const answer = completion({ role: "assistant", content: "Hello! How can I assist you today?", refusal: null });
    expect(chatCompletionToMessage(answer, "deepseek-v3")).toEqual({
      id: "msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      type: "message",
      role: "assistant",
      model: "deepseek-v3",
      content: [{ type: "text", text: "Hello! How can I assist you today?" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 19, output_tokens: 10, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });

  it("turns tool calls into tool_use blocks with parsed input", () => {
    const answer = completion(
      {
        role: "assistant",
        content: "",
        tool_calls: [
          {
            id: "call_0_4c7d2f6e-3b1a-4e8f-9d5c-2a6b8e0f1c37",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"杭州"}' },
          },
          { id: "call_1_9a", type: "function", function: { name: "get_time", arguments: '{"tz":"Asia/Shang' } },
        ],
      },
      { id: "a3e1c9d4-7b25-4f80-8c6a-19e2f0b7d538", model: "deepseek-chat" },
    );
    answer.choices[0].finish_reason = "tool_calls";
    const message = chatCompletionToMessage(answer, "deepseek-v3");
    expect(message.id).toBe("msg_a3e1c9d4-7b25-4f80-8c6a-19e2f0b7d538");
    expect(message.content).toEqual([
      {
        type: "tool_use",
        id: "call_0_4c7d2f6e-3b1a-4e8f-9d5c-2a6b8e0f1c37",
        name: "get_weather",
        input: { location: "杭州" },
      },
      { type: "tool_use", id: "call_1_9a", name: "get_time", input: {} }, // cut-off JSON falls back to {}
    ]);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("says tool_use when an upstream finished a tool-calling turn with 'stop'", () => {
    const answer = completion({
      role: "assistant",
      content: "Let me check.",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
    });
    const message = chatCompletionToMessage(answer, "qwen-max");
    expect(message.content.map((block) => block.type)).toEqual(["text", "tool_use"]);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("puts reasoning_content first, as a thinking block without a signature", () => {
    const answer = completion(
      {
        role: "assistant",
        content: "9.8 更大：9.80 > 9.11。",
        reasoning_content: "Compare 9.11 and 9.8: 9.80 > 9.11.",
      },
      { model: "deepseek-reasoner" },
    );
    expect(chatCompletionToMessage(answer, "deepseek-r1").content).toEqual([
      { type: "thinking", thinking: "Compare 9.11 and 9.8: 9.80 > 9.11.", signature: "" },
      { type: "text", text: "9.8 更大：9.80 > 9.11。" },
    ]);
  });

  it.each([
    ["length", "max_tokens"],
    ["stop", "end_turn"],
    ["content_filter", "refusal"],
    ["function_call", "tool_use"],
    [null, "end_turn"],
  ] as const)("maps finish_reason %s to stop_reason %s", (finishReason, stopReason) => {
    const answer = completion({ role: "assistant", content: "Once upon a" });
    answer.choices[0].finish_reason = finishReason;
    expect(chatCompletionToMessage(answer, "m").stop_reason).toBe(stopReason);
  });

  it("answers a refusal with its text", () => {
    const answer = completion({ role: "assistant", content: null, refusal: "I'm sorry, I can't help with that." });
    answer.choices[0].finish_reason = "content_filter";
    const message = chatCompletionToMessage(answer, "gpt-4o");
    expect(message.content).toEqual([{ type: "text", text: "I'm sorry, I can't help with that." }]);
    expect(message.stop_reason).toBe("refusal");
  });

  it("uses choice 0 only, and survives a completion without usage", () => {
    const answer = completion({ role: "assistant", content: "first" }, { usage: null });
    answer.choices.push({ index: 1, message: { role: "assistant", content: "second" }, finish_reason: "stop" });
    const message = chatCompletionToMessage(answer, "m");
    expect(message.content).toEqual([{ type: "text", text: "first" }]);
    expect(message.usage).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });
});

describe("usageToAnthropic", () => {
  it("splits prompt tokens into uncached, cache-read and cache-written input", () => {
    expect(
      usageToAnthropic({
        prompt_tokens: 2_095,
        completion_tokens: 503,
        total_tokens: 2_598,
        prompt_tokens_details: { cached_tokens: 1_024, cache_write_tokens: 1_000 },
      }),
    ).toEqual({
      input_tokens: 71,
      output_tokens: 503,
      cache_read_input_tokens: 1_024,
      cache_creation_input_tokens: 1_000,
    });
  });

  it("reads DeepSeek-style usage (cached_tokens only) and never goes negative", () => {
    expect(
      usageToAnthropic({
        prompt_tokens: 196,
        completion_tokens: 21,
        total_tokens: 217,
        prompt_tokens_details: { cached_tokens: 192 },
      }),
    ).toEqual({ input_tokens: 4, output_tokens: 21, cache_read_input_tokens: 192, cache_creation_input_tokens: 0 });
    expect(
      usageToAnthropic({
        prompt_tokens: 10,
        completion_tokens: 1,
        total_tokens: 11,
        prompt_tokens_details: { cached_tokens: 64 },
      }).input_tokens,
    ).toBe(0);
    expect(usageToAnthropic(null)).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });
});

describe("messageIdFromCompletionId", () => {
  it("is stable and starts with msg_", () => {
    expect(messageIdFromCompletionId("chatcmpl-abc123")).toBe("msg_abc123");
    expect(messageIdFromCompletionId("chatcmpl-abc123")).toBe(messageIdFromCompletionId("chatcmpl-abc123"));
  });
});
