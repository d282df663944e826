import type { ResponseCreateParamsNonStreaming } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { parseChatRequest } from "@/lib/gateway/chat-request";
import { parseResponsesRequest, responsesToChatRequest } from "./request";
import { LIMITS, rejection, request } from "./__fixtures__/responses";

/** Parses a Responses body, translates it, and checks the chat parser accepts the result. */
function toChat(body: Record<string, unknown>) {
  const chat = responsesToChatRequest(parseResponsesRequest(body, LIMITS));
  // Serialised and parsed back, as the route does.
  const parsed = parseChatRequest(JSON.parse(JSON.stringify(chat)), LIMITS);
  expect(parsed).toEqual(chat);
  return chat;
}

describe("parseResponsesRequest + responsesToChatRequest", () => {
  it("turns string input into one user message", () => {
    expect(toChat({ model: "deepseek-v3", input: "Hello" })).toEqual({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "Hello" }],
    });
  });

  it("puts instructions first as a system message, then the input messages in order", () => {
    const body: ResponseCreateParamsNonStreaming = {
      model: "deepseek-v3",
      instructions: "Be brief.",
      input: [
        { role: "developer", content: "Answer in French." },
        { role: "user", content: [{ type: "input_text", text: "Hi" }] },
        {
          type: "message",
          id: "msg_1",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: "Bonjour", annotations: [] }],
        },
        { type: "message", role: "user", content: "How are you?" },
        {
          role: "system",
          content: [
            { type: "input_text", text: "Line 1" },
            { type: "input_text", text: "Line 2" },
          ],
        },
      ],
    };
    expect(toChat(body as never).messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "developer", content: "Answer in French." },
      { role: "user", content: [{ type: "text", text: "Hi" }] },
      { role: "assistant", content: "Bonjour" },
      { role: "user", content: "How are you?" },
      { role: "system", content: "Line 1\nLine 2" },
    ]);
  });

  it("maps input_image parts to image_url parts", () => {
    const body: ResponseCreateParamsNonStreaming = {
      model: "deepseek-v3",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "What is this?" },
            { type: "input_image", image_url: "https://example.com/a.png", detail: "low" },
            { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "auto" },
            { type: "input_image", image_url: "https://example.com/b.png", detail: "original" },
          ],
        },
      ],
    };
    expect(toChat(body as never).messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "auto" } },
          { type: "image_url", image_url: { url: "https://example.com/b.png", detail: "high" } },
        ],
      },
    ]);
    const noDetail = toChat({
      model: "m",
      input: [{ role: "user", content: [{ type: "input_image", image_url: "u" }] }],
    });
    expect(noDetail.messages).toEqual([{ role: "user", content: [{ type: "image_url", image_url: { url: "u" } }] }]);
  });

  it("round-trips a function call: calls merge into the assistant turn, outputs become tool messages", () => {
    const body: ResponseCreateParamsNonStreaming = {
      model: "deepseek-v3",
      input: [
        { role: "user", content: "Weather in Paris and Rome?" },
        { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Two cities." }] },
        {
          type: "message",
          id: "msg_1",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: "Checking.", annotations: [] }],
        },
        { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", id: "fc_2", call_id: "call_2", name: "weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "call_1", output: "18C" },
        {
          type: "function_call_output",
          call_id: "call_2",
          output: [
            { type: "input_text", text: "21C" },
            { type: "input_text", text: "sunny" },
          ],
        },
        { type: "function_call", call_id: "call_3", name: "clock", arguments: "{}" },
        { type: "function_call_output", call_id: "call_3", output: "noon" },
      ],
      tools: [
        { type: "function", name: "weather", parameters: { type: "object" }, strict: false, description: "Weather" },
        { type: "function", name: "clock", parameters: null, strict: null },
      ],
    };
    const chat = toChat(body as never);
    expect(chat.messages).toEqual([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "18C" },
      { role: "tool", tool_call_id: "call_2", content: "21C\nsunny" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_3", type: "function", function: { name: "clock", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "call_3", content: "noon" },
    ]);
    expect(chat.tools).toEqual([
      {
        type: "function",
        function: { name: "weather", description: "Weather", parameters: { type: "object" }, strict: false },
      },
      { type: "function", function: { name: "clock", parameters: { type: "object", properties: {} } } },
    ]);
  });

  it("maps tool_choice", () => {
    const tools = [{ type: "function", name: "f", parameters: {} }];
    for (const choice of ["auto", "none", "required"]) {
      expect(toChat({ model: "m", input: "x", tools, tool_choice: choice }).tool_choice).toBe(choice);
    }
    expect(toChat({ model: "m", input: "x", tools, tool_choice: { type: "function", name: "f" } }).tool_choice).toEqual(
      { type: "function", function: { name: "f" } },
    );
    expect(toChat({ model: "m", input: "x", tools, parallel_tool_calls: false }).parallel_tool_calls).toBe(false);
  });

  it("maps text.format to response_format", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    expect(
      toChat({
        model: "m",
        input: "x",
        text: { format: { type: "json_schema", name: "thing", schema, strict: true, description: "A thing" } },
      }).response_format,
    ).toEqual({ type: "json_schema", json_schema: { name: "thing", schema, strict: true, description: "A thing" } });
    expect(
      toChat({ model: "m", input: "x", text: { format: { type: "json_schema", name: "t", schema } } }).response_format,
    ).toEqual({ type: "json_schema", json_schema: { name: "t", schema } });
    expect(toChat({ model: "m", input: "x", text: { format: { type: "json_object" } } }).response_format).toEqual({
      type: "json_object",
    });
    const plain = toChat({ model: "m", input: "x", text: { format: { type: "text" }, verbosity: "low" } });
    expect(plain.response_format).toBeUndefined();
    expect(plain.verbosity).toBe("low");
  });

  it("maps sampling, limits, reasoning, identity and streaming fields; drops the stateless ones; carries unknown ones", () => {
    const chat = toChat({
      model: "m",
      input: "x",
      max_output_tokens: 512,
      temperature: 0.3,
      top_p: 0.9,
      reasoning: { effort: "high", summary: "auto" },
      user: "u1",
      safety_identifier: "s1",
      prompt_cache_key: "k1",
      stream: true,
      stream_options: { include_obfuscation: false },
      store: true,
      metadata: { a: "b" },
      include: ["reasoning.encrypted_content"],
      truncation: "auto",
      service_tier: "auto",
      a_field_from_the_future: 1,
    });
    expect(chat).toEqual({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      max_tokens: 512,
      temperature: 0.3,
      top_p: 0.9,
      reasoning_effort: "high",
      user: "u1",
      safety_identifier: "s1",
      prompt_cache_key: "k1",
      stream: true,
      stream_options: { include_usage: true },
      // Unknown fields travel on as on /v1/chat/completions: the adapter forwards them only when the model allows them.
      a_field_from_the_future: 1,
    });
    expect(toChat({ model: "m", input: "x", stream: false }).stream).toBeUndefined();
  });

  it("accepts nulls for optional fields, as SDKs may send them", () => {
    const chat = toChat({
      model: "m",
      input: "x",
      instructions: null,
      previous_response_id: null,
      conversation: null,
      prompt: null,
      background: false,
      tools: null,
      tool_choice: null,
      max_output_tokens: null,
      temperature: null,
      text: null,
      reasoning: null,
    });
    expect(chat).toEqual({ model: "m", messages: [{ role: "user", content: "x" }] });
  });
});

describe("parseResponsesRequest: refusals", () => {
  it("refuses previous_response_id, conversation, prompt and background: nothing is stored", () => {
    const previous = rejection(() => request({ previous_response_id: "resp_1" }));
    expect(previous.status).toBe(400);
    expect(previous.param).toBe("previous_response_id");
    expect(previous.message).toBe(
      "previous_response_id is not supported: TokenFlow does not store responses; send the full conversation in input.",
    );
    expect(rejection(() => request({ conversation: "conv_1" })).message).toMatch(
      /^conversation is not supported: TokenFlow does not store conversations; send the full conversation in input/,
    );
    expect(rejection(() => request({ prompt: { id: "pmpt_1" } })).param).toBe("prompt");
    expect(rejection(() => request({ background: true })).param).toBe("background");
  });

  it("refuses built-in tools and non-function tool choices", () => {
    for (const type of [
      "web_search",
      "web_search_preview",
      "file_search",
      "computer_use_preview",
      "code_interpreter",
      "image_generation",
      "mcp",
      "custom",
    ]) {
      const err = rejection(() => request({ tools: [{ type: "function", name: "f", parameters: {} }, { type }] }));
      expect(err.param).toBe("tools.1.type");
      expect(err.message).toBe(
        `Invalid value for 'tools.1.type': '${type}' tools are not supported through TokenFlow; only function tools (type 'function') are.`,
      );
    }
    expect(rejection(() => request({ tool_choice: { type: "web_search_preview" } })).message).toMatch(
      /^Invalid value for 'tool_choice.type': 'web_search_preview' tool choice is not supported through TokenFlow/,
    );
  });

  it("refuses input items and parts that need stored state or a Files API", () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [
        [{ type: "item_reference", id: "msg_1" }],
        "input.0.type",
        /item_reference is not supported: TokenFlow does not store/,
      ],
      [
        [{ role: "user", content: [{ type: "input_image", file_id: "file_1", detail: "auto" }] }],
        "input.0.content.0.file_id",
        /file_id is not supported through TokenFlow/,
      ],
      [
        [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }],
        "input.0.content.0.type",
        /input_file parts are not supported through TokenFlow/,
      ],
      [
        [{ role: "assistant", content: [{ type: "input_image", image_url: "u" }] }],
        "input.0.content.0.type",
        /images are only supported in user messages/,
      ],
      [
        [{ type: "computer_call_output", call_id: "c" }],
        "input.0.type",
        /'computer_call_output' items are not supported/,
      ],
      [
        [{ type: "function_call_output", call_id: "c", output: [{ type: "input_image", image_url: "u" }] }],
        "input.0.output.0.type",
        /only input_text parts are supported in function_call_output/,
      ],
    ];
    for (const [input, param, message] of cases) {
      const err = rejection(() => request({ input }));
      expect(err.param).toBe(param);
      expect(err.message).toMatch(message);
    }
  });

  it("names the field of a wrong type or value", () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ model: undefined }, "model", "Missing required parameter: 'model'."],
      [{ input: undefined }, "input", "Missing required parameter: 'input'."],
      [{ input: 42 }, "input", "Invalid value for 'input': expected a string or an array of input items."],
      [{ input: [] }, "input", "Invalid value for 'input': must contain at least one item."],
      [
        { input: [{ type: "reasoning", id: "rs_1", summary: [] }] },
        "input",
        "Invalid value for 'input': must contain a message or a function call (reasoning items are dropped).",
      ],
      [{ input: [{ content: "x" }] }, "input.0.role", "Missing required parameter: 'input.0.role'."],
      [
        { input: [{ role: "tool", content: "x" }] },
        "input.0.role",
        "Invalid value for 'input.0.role': must be one of 'user', 'assistant', 'system', 'developer'.",
      ],
      [
        { input: [{ role: "user", content: [{ type: "input_text", text: 1 }] }] },
        "input.0.content.0.text",
        "Invalid value for 'input.0.content.0.text': expected a string.",
      ],
      [
        { input: [{ type: "function_call", call_id: "c", arguments: "{}" }] },
        "input.0.name",
        "Missing required parameter: 'input.0.name'.",
      ],
      [
        { input: [{ type: "function_call_output", call_id: "c" }] },
        "input.0.output",
        "Missing required parameter: 'input.0.output'.",
      ],
      [
        { max_output_tokens: 0 },
        "max_output_tokens",
        "Invalid value for 'max_output_tokens': must be an integer between 1 and 2147483647.",
      ],
      [
        { max_output_tokens: 1.5 },
        "max_output_tokens",
        "Invalid value for 'max_output_tokens': must be an integer between 1 and 2147483647.",
      ],
      [{ temperature: 3 }, "temperature", "Invalid value for 'temperature': must be between 0 and 2."],
      [
        { temperature: "hot" },
        "temperature",
        "Invalid value for 'temperature': expected a number, but got a string instead.",
      ],
      [{ top_p: 2 }, "top_p", "Invalid value for 'top_p': must be between 0 and 1."],
      [{ stream: "yes" }, "stream", "Invalid value for 'stream': expected a boolean, but got a string instead."],
      [{ tools: [{ type: "function" }] }, "tools.0.name", "Missing required parameter: 'tools.0.name'."],
      [
        { tools: [{ type: "function", name: "f", parameters: "x" }] },
        "tools.0.parameters",
        "Invalid value for 'tools.0.parameters': expected an object, but got a string instead.",
      ],
      [
        { tool_choice: "always" },
        "tool_choice",
        "Invalid value for 'tool_choice': must be one of 'auto', 'none', 'required' or a function choice.",
      ],
      [{ tool_choice: { type: "function" } }, "tool_choice.name", "Missing required parameter: 'tool_choice.name'."],
      [
        { text: { format: { type: "xml" } } },
        "text.format.type",
        "Invalid value for 'text.format.type': must be one of 'text', 'json_object', 'json_schema'.",
      ],
      [
        { text: { format: { type: "json_schema", name: "x" } } },
        "text.format.schema",
        "Missing required parameter: 'text.format.schema'.",
      ],
      [
        { metadata: { a: 1 } },
        "metadata.a",
        "Invalid value for 'metadata.a': expected a string, but got an integer instead.",
      ],
    ];
    for (const [body, param, message] of cases) {
      const err = rejection(() => parseResponsesRequest({ model: "m", input: "x", ...body }, LIMITS));
      expect({ param: err.param, message: err.message }).toEqual({ param, message });
    }
    expect(rejection(() => parseResponsesRequest("x", LIMITS)).message).toBe("The request body must be a JSON object.");
  });

  it("refuses oversized input and tool lists before validating them", () => {
    const input = Array.from({ length: LIMITS.maxMessages + 1 }, () => ({ role: "user", content: "x" }));
    expect(rejection(() => request({ input })).message).toBe(
      `Invalid value for 'input': must have at most ${LIMITS.maxMessages} items.`,
    );
    const withInstructions = { instructions: "x", input: input.slice(1) };
    expect(rejection(() => request(withInstructions)).message).toBe(
      `Invalid value for 'input': must have at most ${LIMITS.maxMessages - 1} items.`,
    );
    const tools = Array.from({ length: LIMITS.maxTools + 1 }, () => ({ type: "function", name: "f" }));
    expect(rejection(() => request({ tools })).message).toBe(
      `Invalid value for 'tools': must have at most ${LIMITS.maxTools} tools.`,
    );
  });
});
