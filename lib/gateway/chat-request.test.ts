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
