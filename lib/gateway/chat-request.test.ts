import { describe, expect, it } from "vitest";
import { parseChatRequest, parseEmbeddingsRequest } from "./chat-request";
import { GatewayError } from "./errors";

const minimal = { model: "deepseek-v3", messages: [{ role: "user", content: "Hi" }] };

/** Runs `parse` and returns the GatewayError it throws (fails the test if it does not throw one). */
function rejection(parse: () => unknown): GatewayError {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  return expect.fail("expected the request to be rejected");
}

describe("parseChatRequest: accepted bodies", () => {
  it("accepts a minimal body", () => {
    expect(parseChatRequest(minimal)).toEqual(minimal);
  });

  it("keeps unknown top-level and message fields (pass-through for new OpenAI options)", () => {
    const body = {
      ...minimal,
      messages: [
        { role: "system", content: "Be brief.", name: "rules" },
        { role: "user", content: [{ type: "text", text: "Hi" }], cache_control: { type: "ephemeral" } },
      ],
      temperature: 0.7,
      tools: [{ type: "function", function: { name: "f", parameters: {} } }],
      response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } },
      reasoning_effort: "low",
      a_field_from_the_future: [1, { two: 2 }],
    };
    expect(parseChatRequest(body)).toEqual(body);
  });

  it("keeps unknown stream_options fields next to include_usage", () => {
    const body = { ...minimal, stream: true, stream_options: { include_usage: true, include_obfuscation: false } };
    expect(parseChatRequest(body).stream_options).toEqual({ include_usage: true, include_obfuscation: false });
  });

  it("accepts null for the optional fields (as the OpenAI SDKs may send)", () => {
    const body = {
      ...minimal,
      stream: null,
      stream_options: null,
      max_tokens: null,
      max_completion_tokens: null,
      n: null,
    };
    expect(parseChatRequest(body)).toEqual(body);
  });

  it("accepts the limits of n and positive integer caps", () => {
    expect(parseChatRequest({ ...minimal, n: 1 }).n).toBe(1);
    expect(parseChatRequest({ ...minimal, n: 128 }).n).toBe(128);
    expect(parseChatRequest({ ...minimal, max_tokens: 1, max_completion_tokens: 65536 })).toMatchObject({
      max_tokens: 1,
      max_completion_tokens: 65536,
    });
  });
});

describe("parseChatRequest: rejected bodies", () => {
  it.each([
    ["null", null],
    ["an array", [minimal]],
    ["a string", JSON.stringify(minimal)],
    ["a number", 42],
    ["undefined", undefined],
  ])("rejects %s as the body", (_name, body) => {
    const error = rejection(() => parseChatRequest(body));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toBe("The request body must be a JSON object.");
    expect(error.param).toBeNull();
  });

  it("names a missing model the way OpenAI does", () => {
    const error = rejection(() => parseChatRequest({ messages: minimal.messages }));
    expect(error.message).toBe("Missing required parameter: 'model'.");
    expect(error.param).toBe("model");
    expect(error.status).toBe(400);
    expect(error.kind).toBe("invalid_request");
  });

  it("names missing messages", () => {
    const error = rejection(() => parseChatRequest({ model: "m" }));
    expect(error.message).toBe("Missing required parameter: 'messages'.");
    expect(error.param).toBe("messages");
  });

  it("rejects an empty messages array", () => {
    const error = rejection(() => parseChatRequest({ model: "m", messages: [] }));
    expect(error.message).toBe("Invalid value for 'messages': messages must contain at least one message.");
    expect(error.param).toBe("messages");
  });

  it("rejects a message without a role and points at it", () => {
    const error = rejection(() => parseChatRequest({ model: "m", messages: [{ role: "user" }, { content: "x" }] }));
    expect(error.param).toBe("messages.1.role");
    expect(error.message).toMatch(/^Missing required parameter: 'messages\.1\.role'\.$/);
  });

  it("rejects an empty model name and one longer than 200 characters", () => {
    expect(rejection(() => parseChatRequest({ ...minimal, model: "" })).message).toMatch(
      /^Invalid value for 'model': /,
    );
    expect(rejection(() => parseChatRequest({ ...minimal, model: "m".repeat(201) })).param).toBe("model");
    expect(parseChatRequest({ ...minimal, model: "m".repeat(200) }).model).toHaveLength(200);
  });

  it.each([
    ["0", 0],
    ["129", 129],
    ["-1", -1],
  ])("rejects n = %s", (_name, n) => {
    const error = rejection(() => parseChatRequest({ ...minimal, n }));
    expect(error.param).toBe("n");
    expect(error.message).toMatch(/^Invalid value for 'n': /);
  });

  it.each([
    ["0", 0],
    ["-5", -5],
  ])("rejects max_tokens = %s", (_name, maxTokens) => {
    const error = rejection(() => parseChatRequest({ ...minimal, max_tokens: maxTokens }));
    expect(error.param).toBe("max_tokens");
    expect(error.message).toMatch(/^Invalid value for 'max_tokens': /);
  });

  it.each([
    ["n", 1.5],
    ["max_tokens", 12.5],
    ["max_completion_tokens", 0.5],
  ])("rejects a fractional %s (%s)", (param, value) => {
    expect(rejection(() => parseChatRequest({ ...minimal, [param]: value })).param).toBe(param);
  });

  it.each([
    ["n", "2"],
    ["max_tokens", "100"],
    ["stream", "true"],
    ["model", 123],
    ["messages", "Hi"],
  ])("rejects %s of the wrong type and names the parameter", (param, value) => {
    expect(rejection(() => parseChatRequest({ ...minimal, [param]: value })).param).toBe(param);
  });

  // A present-but-wrong value is not "missing" (zod 4 reports the input only when asked to).
  it.each([
    ["n", "2"],
    ["n", 1.5],
    ["max_tokens", "100"],
    ["max_tokens", 12.5],
    ["model", 123],
    ["stream", "true"],
  ])("reports %s = %j as an invalid value, not as a missing parameter", (param, value) => {
    const error = rejection(() => parseChatRequest({ ...minimal, [param]: value }));
    expect(error.message).toMatch(new RegExp(`^Invalid value for '${param}': `));
  });
});

describe("parseEmbeddingsRequest", () => {
  it.each([
    ["a string", "The food was delicious"],
    ["an array of strings", ["first", "second"]],
    ["an array of token ids", [1212, 318, 257]],
    ["an array of token-id arrays", [[1212, 318], [257]]],
  ])("accepts %s as input", (_name, input) => {
    expect(parseEmbeddingsRequest({ model: "text-embedding-3-small", input }).input).toEqual(input);
  });

  it("keeps encoding_format, dimensions and unknown fields", () => {
    const body = { model: "e", input: "x", encoding_format: "base64", dimensions: 256, user: "u-1", extra: { a: 1 } };
    expect(parseEmbeddingsRequest(body)).toEqual(body);
  });

  it.each([
    ["an empty array", []],
    ["an empty token-id array inside", [[]]],
    ["mixed strings and numbers", ["a", 1]],
    ["fractional token ids", [1.5]],
    ["an object", { text: "x" }],
    ["a number", 42],
  ])("rejects %s as input", (_name, input) => {
    expect(rejection(() => parseEmbeddingsRequest({ model: "e", input })).param).toMatch(/^input/);
  });

  it("names a missing input", () => {
    const error = rejection(() => parseEmbeddingsRequest({ model: "e" }));
    expect(error.param).toBe("input");
  });

  it("names a missing model the way OpenAI does", () => {
    const error = rejection(() => parseEmbeddingsRequest({ input: "x" }));
    expect(error.message).toBe("Missing required parameter: 'model'.");
    expect(error.param).toBe("model");
  });

  it("rejects an unknown encoding_format and a non-positive dimensions", () => {
    expect(rejection(() => parseEmbeddingsRequest({ model: "e", input: "x", encoding_format: "int8" })).param).toBe(
      "encoding_format",
    );
    expect(rejection(() => parseEmbeddingsRequest({ model: "e", input: "x", dimensions: 0 })).param).toBe("dimensions");
  });

  it("rejects a body that is not an object", () => {
    expect(rejection(() => parseEmbeddingsRequest("x")).message).toBe("The request body must be a JSON object.");
  });
});

describe("parseChatRequest: types and ranges of OpenAI's fields", () => {
  it("accepts every field at the edges of its range", () => {
    const body = {
      ...minimal,
      messages: [
        { role: "developer", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "Hi" },
            { type: "image_url", image_url: { url: "u" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c", content: "42" },
        { role: "function", name: "f", content: "old style" },
      ],
      temperature: 2,
      top_p: 0,
      presence_penalty: -2,
      frequency_penalty: 2,
      logprobs: true,
      top_logprobs: 20,
      seed: -Number.MAX_SAFE_INTEGER,
      stop: ["a", "b", "c", "d"],
      logit_bias: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [String(i), i % 2 ? 100 : -100])),
      max_tokens: 2 ** 31 - 1,
      tools: [
        { type: "function", function: { name: "f", description: "d", parameters: { type: "object" }, strict: true } },
      ],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_object" },
      stream: true,
      stream_options: { include_usage: false },
      user: "u".repeat(512),
    };
    expect(parseChatRequest(body)).toEqual(body);
    expect(parseChatRequest({ ...minimal, stop: "END", tool_choice: "auto" })).toMatchObject({ stop: "END" });
  });

  it.each([
    ["temperature", 2.5, "Invalid value for 'temperature': must be between 0 and 2."],
    ["temperature", -0.1, "Invalid value for 'temperature': must be between 0 and 2."],
    ["temperature", "0.5", "Invalid value for 'temperature': expected a number, but got a string instead."],
    ["top_p", 1.01, "Invalid value for 'top_p': must be between 0 and 1."],
    ["presence_penalty", -3, "Invalid value for 'presence_penalty': must be between -2 and 2."],
    ["frequency_penalty", 2.5, "Invalid value for 'frequency_penalty': must be between -2 and 2."],
    ["logprobs", "yes", "Invalid value for 'logprobs': expected a boolean, but got a string instead."],
    ["top_logprobs", 21, "Invalid value for 'top_logprobs': must be an integer between 0 and 20."],
    ["seed", 2 ** 53, "Invalid value for 'seed': must be an integer between -(2^53 - 1) and 2^53 - 1."],
    ["max_tokens", 2 ** 31, "Invalid value for 'max_tokens': must be an integer between 1 and 2147483647."],
    [
      "max_completion_tokens",
      1e300,
      "Invalid value for 'max_completion_tokens': must be an integer between 1 and 2147483647.",
    ],
    [
      "stop",
      ["a", "b", "c", "d", "e"],
      "Invalid value for 'stop': expected a string or an array of at most 4 strings.",
    ],
    ["stop", 7, "Invalid value for 'stop': expected a string or an array of at most 4 strings."],
    ["logit_bias", { "50256": -101 }, "Invalid value for 'logit_bias.50256': must be between -100 and 100."],
    ["logit_bias", [1, 2], "Invalid value for 'logit_bias': expected an object, but got an array instead."],
    ["tool_choice", 3, "Invalid value for 'tool_choice': expected a string or an object."],
    ["tool_choice", {}, "Missing required parameter: 'tool_choice.type'."],
    ["response_format", "json", "Invalid value for 'response_format': expected an object, but got a string instead."],
    ["response_format", {}, "Missing required parameter: 'response_format.type'."],
    [
      "stream_options",
      { include_usage: "yes" },
      "Invalid value for 'stream_options.include_usage': expected a boolean, but got a string instead.",
    ],
    ["user", "u".repeat(513), "Invalid value for 'user': must have at most 512 characters."],
    ["tools", {}, "Invalid value for 'tools': expected an array, but got an object instead."],
    ["tools", [{ type: "function" }], "Missing required parameter: 'tools.0.function'."],
    ["tools", [{ function: { name: "f" } }], "Missing required parameter: 'tools.0.type'."],
    [
      "tools",
      [{ type: "function", function: { name: 1 } }],
      "Invalid value for 'tools.0.function.name': expected a string, but got an integer instead.",
    ],
    [
      "tools",
      [{ type: "function", function: { name: "f", parameters: [] } }],
      "Invalid value for 'tools.0.function.parameters': expected an object, but got an array instead.",
    ],
  ])("refuses %s = %j in OpenAI's words", (param, value, message) => {
    const error = rejection(() => parseChatRequest({ ...minimal, [param]: value }));
    expect(error.message).toBe(message);
    expect(error.param).toBe(message.match(/'([^']+)'/)![1]);
    expect(error.status).toBe(400);
  });

  it("accepts 300 logit_bias entries and refuses 301", () => {
    const bias = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), 1]));
    expect(parseChatRequest({ ...minimal, logit_bias: bias(300) }).logit_bias).toEqual(bias(300));
    expect(rejection(() => parseChatRequest({ ...minimal, logit_bias: bias(301) })).message).toBe(
      "Invalid value for 'logit_bias': must have at most 300 entries.",
    );
  });

  it.each([
    [
      { role: "bot", content: "x" },
      "messages.0.role",
      /must be one of 'system', 'developer', 'user', 'assistant', 'tool', 'function'/,
    ],
    [{ role: 1, content: "x" }, "messages.0.role", /expected a string/],
    [{ role: "user", content: 5 }, "messages.0.content", /expected a string, null or an array of content parts/],
    [
      { role: "user", content: { text: "x" } },
      "messages.0.content",
      /expected a string, null or an array of content parts/,
    ],
    [{ role: "user", content: [{ text: "x" }] }, "messages.0.content.0.type", /^Missing required parameter/],
    [{ role: "user", content: ["x"] }, "messages.0.content.0", /expected an object/],
    [
      { role: "assistant", tool_calls: [{ function: { name: "f", arguments: {} } }] },
      "messages.0.tool_calls.0.function.arguments",
      /expected a string/,
    ],
    ["hello", "messages.0", /expected an object, but got a string/],
  ])("refuses the message %j and points at %s", (message, param, text) => {
    const error = rejection(() => parseChatRequest({ ...minimal, messages: [message] }));
    expect(error.param).toBe(param);
    expect(error.message).toMatch(text);
  });

  it("refuses more messages or tools than the limits allow, before validating each one", () => {
    const limits = { maxMessages: 3, maxTools: 2 };
    const messages = Array.from({ length: 3 }, () => ({ role: "user", content: "x" }));
    const tool = { type: "function", function: { name: "f" } };
    expect(parseChatRequest({ ...minimal, messages, tools: [tool, tool] }, limits).messages).toHaveLength(3);
    const tooMany = rejection(() =>
      parseChatRequest({ ...minimal, messages: [...messages, "not even a message"] }, limits),
    );
    expect(tooMany.message).toBe("Invalid value for 'messages': must have at most 3 messages.");
    expect(tooMany.param).toBe("messages");
    const tools = rejection(() => parseChatRequest({ ...minimal, tools: [tool, tool, tool] }, limits));
    expect(tools.message).toBe("Invalid value for 'tools': must have at most 2 tools.");
    expect(rejection(() => parseChatRequest({ ...minimal, functions: [{}, {}, {}] }, limits)).param).toBe("functions");
  });

  it("defaults to 10,000 messages and 512 tools", () => {
    const messages = Array.from({ length: 10_001 }, () => ({ role: "user", content: "x" }));
    expect(rejection(() => parseChatRequest({ ...minimal, messages })).param).toBe("messages");
    expect(parseChatRequest({ ...minimal, messages: messages.slice(1) }).messages).toHaveLength(10_000);
    const tools = Array.from({ length: 513 }, (_, i) => ({ type: "function", function: { name: `f${i}` } }));
    expect(rejection(() => parseChatRequest({ ...minimal, tools })).param).toBe("tools");
    expect(parseChatRequest({ ...minimal, tools: tools.slice(1) }).tools).toHaveLength(512);
  });

  it("lets unknown tool types and unknown fields everywhere through", () => {
    const body = {
      ...minimal,
      tools: [{ type: "web_search", search_context_size: "low" }],
      messages: [
        { role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }], extra: 1 },
      ],
      metadata: { anything: [1, "two", { three: null }] },
    };
    expect(parseChatRequest(body)).toEqual(body);
  });
});

describe("parseEmbeddingsRequest: limits", () => {
  it("accepts 2048 inputs and refuses 2049", () => {
    expect(parseEmbeddingsRequest({ model: "e", input: Array(2048).fill("x") }).input).toHaveLength(2048);
    const error = rejection(() => parseEmbeddingsRequest({ model: "e", input: Array(2049).fill("x") }));
    expect(error.message).toBe("Invalid value for 'input': must have at most 2048 items.");
  });

  it.each([
    [[1, -1], "input.1", /token id/],
    [[1, 2 ** 53], "input.1", /token id/],
    [[[1], [2, 0.5]], "input.1.1", /token id/],
    [[[1], 2], "input.1", /array of token ids/],
    [["a", ["b"]], "input.1", /expected a string/],
    [[null], "input.0", /expected a string, an array of strings/],
    ["x".repeat(2 ** 20 + 1), "input", /at most 1048576 characters/],
    [["ok", "x".repeat(2 ** 20 + 1)], "input.1", /at most 1048576 characters/],
  ])("refuses the input %# and points at %s", (input, param, text) => {
    const error = rejection(() => parseEmbeddingsRequest({ model: "e", input }));
    expect(error.param).toBe(param);
    expect(error.message).toMatch(text);
  });

  it("checks dimensions, encoding_format and user", () => {
    expect(rejection(() => parseEmbeddingsRequest({ model: "e", input: "x", dimensions: 65_537 })).message).toBe(
      "Invalid value for 'dimensions': must be an integer between 1 and 65536.",
    );
    expect(rejection(() => parseEmbeddingsRequest({ model: "e", input: "x", encoding_format: "int8" })).message).toBe(
      "Invalid value for 'encoding_format': must be one of 'float', 'base64'.",
    );
    expect(rejection(() => parseEmbeddingsRequest({ model: "e", input: "x", user: 5 })).param).toBe("user");
  });
});
