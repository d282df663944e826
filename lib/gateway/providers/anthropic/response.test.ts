import { describe, expect, it } from "vitest";
import { CACHED_MESSAGE, TEXT_MESSAGE, THINKING_MESSAGE, TOOL_USE_MESSAGE } from "./__fixtures__/messages";
import { fromAnthropicMessage } from "./response";

describe("fromAnthropicMessage", () => {
  it("answers a text message as a chat.completion under the public model", () => {
    const before = Math.floor(Date.now() / 1000);
    const completion = fromAnthropicMessage(TEXT_MESSAGE, "claude-sonnet-4");
    expect(completion).toEqual({
      id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
      object: "chat.completion",
      created: expect.any(Number),
      model: "claude-sonnet-4",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi! My name is Claude." },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 2095,
        completion_tokens: 503,
        total_tokens: 2598,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      },
    });
    expect(completion.created).toBeGreaterThanOrEqual(before);
  });

  it("turns tool_use blocks into tool_calls with the input as a JSON string", () => {
    const { choices } = fromAnthropicMessage(TOOL_USE_MESSAGE, "claude-sonnet-4");
    expect(choices[0].finish_reason).toBe("tool_calls");
    expect(choices[0].message).toEqual({
      role: "assistant",
      content: "I'll check the current weather in San Francisco for you.",
      tool_calls: [
        {
          id: "toolu_01A09q90qw90lq917835lq9",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
        },
      ],
    });
  });

  it("answers content null when the message is only a tool call", () => {
    const toolOnly = { ...TOOL_USE_MESSAGE, content: TOOL_USE_MESSAGE.content.slice(1) };
    expect(fromAnthropicMessage(toolOnly, "m").choices[0].message.content).toBeNull();
  });

  it("puts thinking in reasoning_content and leaves redacted thinking out", () => {
    const { message } = fromAnthropicMessage(THINKING_MESSAGE, "m").choices[0];
    expect(message).toEqual({
      role: "assistant",
      content: "Based on my analysis...",
      reasoning_content: "Let me analyze this step by step...",
    });
  });

  it("counts cache reads and writes in prompt_tokens and reports them apart", () => {
    const completion = fromAnthropicMessage(CACHED_MESSAGE, "m");
    expect(completion.choices[0].finish_reason).toBe("length");
    expect(completion.usage).toEqual({
      prompt_tokens: 2069,
      completion_tokens: 393,
      total_tokens: 2462,
      prompt_tokens_details: { cached_tokens: 1800, cache_write_tokens: 248 },
    });
  });

  it("ignores blocks it does not know (server tools, future types)", () => {
    const message = {
      ...TEXT_MESSAGE,
      content: [
        { type: "server_tool_use", id: "srvtoolu_01", name: "web_search", input: { query: "x" } },
        ...TEXT_MESSAGE.content,
      ],
    };
    expect(fromAnthropicMessage(message, "m").choices[0].message).toEqual({
      role: "assistant",
      content: "Hi! My name is Claude.",
    });
  });
});
