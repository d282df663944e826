import { describe, expect, it } from "vitest";
import { parseChatRequest } from "@/lib/gateway/chat-request";
import { GatewayError } from "@/lib/gateway/errors";
import { messagesToChatRequest, parseCountTokensRequest, parseMessagesRequest } from "./request";

// Bodies as Anthropic's docs show them (https://docs.anthropic.com/en/api/messages,
// https://docs.anthropic.com/en/docs/build-with-claude/vision,
// https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use), sent to a
// model that is not Claude.

const hello = {
  model: "deepseek-v3",
  max_tokens: 1024,
  messages: [{ role: "user", content: "Hello, Claude" }],
};

const getWeather = {
  name: "get_weather",
  description: "Get the current weather in a given location",
  input_schema: {
    type: "object",
    properties: { location: { type: "string", description: "The city and state, e.g. San Francisco, CA" } },
    required: ["location"],
  },
};

// A tool-use round trip: Claude asked for get_weather, the client answers with its result.
const toolRoundTrip = {
  model: "deepseek-v3",
  max_tokens: 1024,
  tools: [getWeather],
  messages: [
    { role: "user", content: "What's the weather like in San Francisco?" },
    {
      role: "assistant",
      content: [
        { type: "text", text: "<thinking>I need to use get_weather, and the user wants SF.</thinking>" },
        {
          type: "tool_use",
          id: "toolu_01A09q90qw90lq917835lq9",
          name: "get_weather",
          input: { location: "San Francisco, CA", unit: "celsius" },
        },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_01A09q90qw90lq917835lq9", content: "15 degrees" },
        { type: "text", text: "And should I take an umbrella?" },
      ],
    },
  ],
};

const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** Runs `run` and returns the GatewayError it throws (fails the test if it does not throw one). */
function rejection(run: () => unknown): GatewayError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  return expect.fail("expected the request to be rejected");
}

const translate = (body: unknown) => messagesToChatRequest(parseMessagesRequest(body));

describe("parseMessagesRequest", () => {
  it("accepts the docs' minimal body and keeps unknown fields (pass-through for new Anthropic options)", () => {
    const body = { ...hello, container: "container_011", context_management: { edits: [] } };
    expect(parseMessagesRequest(body)).toEqual(body);
  });

  it("accepts every documented optional field", () => {
    const body = {
      ...toolRoundTrip,
      system: [{ type: "text", text: "You are a weather bot.", cache_control: { type: "ephemeral" } }],
      stop_sequences: ["\n\nHuman:"],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      stream: true,
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
      metadata: { user_id: "13803d75-b4b5-4c3e-b2a2-6f21399b021b" },
      thinking: { type: "enabled", budget_tokens: 2048 },
      service_tier: "standard_only",
    };
    expect(parseMessagesRequest(body)).toEqual(body);
  });

  it.each([
    [{ ...hello, max_tokens: undefined }, "max_tokens", "Missing required parameter: 'max_tokens'."],
    [{ ...hello, max_tokens: 0 }, "max_tokens", /'max_tokens': must be an integer between 1 and/],
    [{ ...hello, max_tokens: 10.5 }, "max_tokens", /'max_tokens': must be an integer/],
    [{ ...hello, model: undefined }, "model", "Missing required parameter: 'model'."],
    [{ ...hello, messages: [] }, "messages", /at least one message/],
    [
      { ...hello, messages: [{ role: "system", content: "Be brief." }] },
      "messages.0.role",
      "Invalid value for 'messages.0.role': must be one of 'user', 'assistant' (a system prompt goes in the top-level 'system' field).",
    ],
    [{ ...hello, messages: [{ content: "Hi" }] }, "messages.0.role", "Missing required parameter: 'messages.0.role'."],
    [
      { ...hello, messages: [{ role: "user" }] },
      "messages.0.content",
      "Missing required parameter: 'messages.0.content'.",
    ],
    [
      {
        ...hello,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png" } }] }],
      },
      "messages.0.content.0.source.data",
      "Missing required parameter: 'messages.0.content.0.source.data'.",
    ],
    [
      { ...hello, messages: [{ role: "user", content: [{ type: "tool_result", content: "15 degrees" }] }] },
      "messages.0.content.0.tool_use_id",
      "Missing required parameter: 'messages.0.content.0.tool_use_id'.",
    ],
    [
      { ...hello, messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: "{}" }] }] },
      "messages.0.content.0.input",
      "Invalid value for 'messages.0.content.0.input': expected an object.",
    ],
    [{ ...hello, temperature: 1.5 }, "temperature", "Invalid value for 'temperature': must be between 0 and 1."],
    [{ ...hello, system: 42 }, "system", /expected a string or an array of text blocks/],
    [
      { ...hello, tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 5 }] },
      "tools.0.type",
      "Invalid value for 'tools.0.type': 'web_search_20250305' is a server tool, which is not supported; only custom tools (name, description, input_schema) are.",
    ],
    [{ ...hello, tools: [{ name: "get_weather" }] }, "tools.0.input_schema", /Missing required parameter/],
    [{ ...hello, tools: [getWeather], tool_choice: { type: "tool" } }, "tool_choice.name", /Missing required/],
    [
      { ...hello, tool_choice: { type: "required" } },
      "tool_choice.type",
      /must be one of 'auto', 'any', 'tool', 'none'/,
    ],
    [{ ...hello, thinking: { type: "enabled" } }, "thinking.budget_tokens", /Missing required/],
    [{ ...hello, thinking: { type: "enabled", budget_tokens: 500 } }, "thinking.budget_tokens", /between 1024/],
    [{ ...hello, service_tier: "priority" }, "service_tier", /must be one of 'auto', 'standard_only'/],
    [{ ...hello, metadata: { user_id: "u".repeat(257) } }, "metadata.user_id", /at most 256 characters/],
  ])("refuses %j with a 400 naming %s", (body, param, message) => {
    const error = rejection(() => parseMessagesRequest(body));
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    if (typeof message === "string") expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  });

  it("refuses a body that is not a JSON object", () => {
    expect(rejection(() => parseMessagesRequest([hello])).message).toBe("The request body must be a JSON object.");
  });

  it("refuses too many messages before validating them", () => {
    const body = { ...hello, messages: Array.from({ length: 3 }, () => ({ role: "user", content: 5 })) };
    const error = rejection(() => parseMessagesRequest(body, { maxMessages: 2, maxTools: 2 }));
    expect(error.message).toBe("Invalid value for 'messages': must have at most 2 messages.");
  });

  it("parses count_tokens bodies, which have no max_tokens", () => {
    const { max_tokens: _unused, ...body } = toolRoundTrip;
    void _unused;
    expect(parseCountTokensRequest(body)).toEqual(body);
    expect(rejection(() => parseMessagesRequest(body)).param).toBe("max_tokens");
  });
});

describe("messagesToChatRequest", () => {
  it("translates the docs' minimal body", () => {
    expect(translate(hello)).toEqual({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "Hello, Claude" }],
      max_tokens: 1024,
    });
  });

  it("keeps a multi-turn conversation in order", () => {
    const body = {
      ...hello,
      messages: [
        { role: "user", content: "Hello there." },
        { role: "assistant", content: "Hi, I'm Claude. How can I help you?" },
        { role: "user", content: "Can you explain LLMs in plain English?" },
      ],
    };
    expect(translate(body).messages).toEqual(body.messages);
  });

  it("puts the system prompt first, joining text blocks and dropping cache_control", () => {
    const chat = translate({
      ...hello,
      system: [
        { type: "text", text: "You are an AI assistant tasked with analyzing literary works." },
        { type: "text", text: "<the entire contents of Pride and Prejudice>", cache_control: { type: "ephemeral" } },
      ],
    });
    expect(chat.messages[0]).toEqual({
      role: "system",
      content:
        "You are an AI assistant tasked with analyzing literary works.\n\n<the entire contents of Pride and Prejudice>",
    });
    expect(JSON.stringify(chat)).not.toContain("cache_control");
    expect(translate({ ...hello, system: "Be brief." }).messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(translate({ ...hello, system: "" }).messages[0].role).toBe("user");
  });

  it("turns image blocks into image_url parts (base64 as a data URL, url as is)", () => {
    const chat = translate({
      ...hello,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } },
            { type: "image", source: { type: "url", url: "https://upload.wikimedia.org/ant.jpg" } },
            { type: "text", text: "Compare these images.", cache_control: { type: "ephemeral" } },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
          { type: "image_url", image_url: { url: "https://upload.wikimedia.org/ant.jpg" } },
          { type: "text", text: "Compare these images." },
        ],
      },
    ]);
  });

  it("sends text-only block content as one string", () => {
    const chat = translate({
      ...hello,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>Today is Monday.</system-reminder>" },
            { type: "text", text: "What day is it?" },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "user", content: "<system-reminder>Today is Monday.</system-reminder>\n\nWhat day is it?" },
    ]);
  });

  it("translates a tool-use round trip: tool_use → tool_calls, tool_result → a tool message before the turn's text", () => {
    const chat = translate(toolRoundTrip);
    expect(chat.messages).toEqual([
      { role: "user", content: "What's the weather like in San Francisco?" },
      {
        role: "assistant",
        content: "<thinking>I need to use get_weather, and the user wants SF.</thinking>",
        tool_calls: [
          {
            id: "toolu_01A09q90qw90lq917835lq9",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "toolu_01A09q90qw90lq917835lq9", content: "15 degrees" },
      { role: "user", content: "And should I take an umbrella?" },
    ]);
    expect(chat.tools).toEqual([
      {
        type: "function",
        function: { name: "get_weather", description: getWeather.description, parameters: getWeather.input_schema },
      },
    ]);
  });

  it("translates parallel tool results, error results, block content and images returned by tools", () => {
    const chat = translate({
      ...hello,
      tools: [getWeather],
      messages: [
        { role: "user", content: "Weather in SF and NYC, and a screenshot?" },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_a", name: "get_weather", input: { location: "San Francisco, CA" } },
            { type: "tool_use", id: "toolu_b", name: "get_weather", input: { location: "New York, NY" } },
            { type: "tool_use", id: "toolu_c", name: "screenshot", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_a",
              content: [
                { type: "text", text: "15 degrees" },
                { type: "text", text: "foggy" },
              ],
            },
            {
              type: "tool_result",
              tool_use_id: "toolu_b",
              content: "ConnectionError: the weather service API is not available (HTTP 500)",
              is_error: true,
            },
            {
              type: "tool_result",
              tool_use_id: "toolu_c",
              content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } }],
            },
          ],
        },
      ],
    });
    expect(chat.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "toolu_a",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"San Francisco, CA"}' },
          },
          {
            id: "toolu_b",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"New York, NY"}' },
          },
          { id: "toolu_c", type: "function", function: { name: "screenshot", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_a", content: "15 degrees\n\nfoggy" },
      {
        role: "tool",
        tool_call_id: "toolu_b",
        content: "Error: ConnectionError: the weather service API is not available (HTTP 500)",
      },
      { role: "tool", tool_call_id: "toolu_c", content: "" },
      { role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }] },
    ]);
  });

  it("drops thinking blocks of earlier turns, and an assistant turn that only thought", () => {
    const chat = translate({
      ...hello,
      messages: [
        { role: "user", content: "Is 9.11 bigger than 9.8?" },
        {
          role: "assistant",
          content: [
            {
              type: "thinking",
              thinking: "Compare the decimals…",
              signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
            },
            { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP" },
            { type: "text", text: "No: 9.8 is bigger." },
          ],
        },
        { role: "assistant", content: [{ type: "thinking", thinking: "…", signature: "" }] },
        { role: "user", content: "Why?" },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "user", content: "Is 9.11 bigger than 9.8?" },
      { role: "assistant", content: "No: 9.8 is bigger." },
      { role: "user", content: "Why?" },
    ]);
  });

  it.each([
    [{ type: "auto" }, { tool_choice: "auto" }],
    [{ type: "any" }, { tool_choice: "required" }],
    [{ type: "none" }, { tool_choice: "none" }],
    [{ type: "tool", name: "get_weather" }, { tool_choice: { type: "function", function: { name: "get_weather" } } }],
    [
      { type: "auto", disable_parallel_tool_use: true },
      { tool_choice: "auto", parallel_tool_calls: false },
    ],
    [{ type: "any", disable_parallel_tool_use: false }, { tool_choice: "required" }],
  ])("translates tool_choice %j", (toolChoice, expected) => {
    const chat = translate({ ...hello, tools: [getWeather], tool_choice: toolChoice });
    expect({ tool_choice: chat.tool_choice, parallel_tool_calls: chat.parallel_tool_calls }).toEqual({
      parallel_tool_calls: undefined,
      ...expected,
    });
  });

  it("sends no tool_choice without tools (OpenAI refuses it)", () => {
    const chat = translate({ ...hello, tool_choice: { type: "none" } });
    expect(chat).not.toHaveProperty("tool_choice");
    expect(chat).not.toHaveProperty("tools");
  });

  it("maps sampling, stop sequences, streaming and metadata; drops top_k, thinking and service_tier", () => {
    const chat = translate({
      ...hello,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      stop_sequences: ["\n\nHuman:", "</answer>"],
      stream: true,
      metadata: { user_id: "user-42" },
      thinking: { type: "enabled", budget_tokens: 10_000 },
      service_tier: "auto",
    });
    expect(chat).toEqual({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "Hello, Claude" }],
      max_tokens: 1024,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n\nHuman:", "</answer>"],
      user: "user-42",
    });
  });

  it("refuses more than 4 stop sequences, which OpenAI-compatible upstreams cannot take", () => {
    const error = rejection(() => translate({ ...hello, stop_sequences: ["a", "b", "c", "d", "e"] }));
    expect(error.status).toBe(400);
    expect(error.param).toBe("stop_sequences");
    expect(error.message).toBe(
      "Invalid value for 'stop_sequences': this model accepts at most 4 stop sequences, but got 5.",
    );
    expect(translate({ ...hello, stop_sequences: ["a", "b", "c", "d"] }).stop).toHaveLength(4);
  });

  it.each([
    [
      {
        role: "user",
        content: [{ type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" } }],
      },
      "messages.0.content.0.type",
      "Invalid value for 'messages.0.content.0.type': 'document' content blocks are not supported for this model; send the document's text as a text block instead.",
    ],
    [
      {
        role: "user",
        content: [{ type: "image", source: { type: "file", file_id: "file_011CNha8iCJcU1wXNR6q4V8w" } }],
      },
      "messages.0.content.0.source.type",
      /Files API \('file'\) are not supported/,
    ],
    [
      { role: "user", content: [{ type: "tool_use", id: "toolu_a", name: "f", input: {} }] },
      "messages.0.content.0.type",
      "Invalid value for 'messages.0.content.0.type': tool_use blocks belong in an assistant message.",
    ],
    [
      { role: "assistant", content: [{ type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }] },
      "messages.0.content.0.type",
      /'server_tool_use' content blocks are not supported for this model; server tools are not supported/,
    ],
    [
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_a", content: [{ type: "search_result", source: "x" }] }],
      },
      "messages.0.content.0.content.0.type",
      /'search_result' content blocks are not supported in a tool_result/,
    ],
  ])("refuses what other models cannot read: %j", (message, param, why) => {
    const error = rejection(() => translate({ ...hello, messages: [message] }));
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    if (typeof why === "string") expect(error.message).toBe(why);
    else expect(error.message).toMatch(why);
  });

  it("produces a body our chat parser accepts unchanged, after a JSON round trip", () => {
    const chat = translate({
      ...toolRoundTrip,
      system: [{ type: "text", text: "You are a weather bot.", cache_control: { type: "ephemeral" } }],
      messages: [
        ...toolRoundTrip.messages,
        { role: "assistant", content: "Yes, it might rain." },
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } },
            { type: "text", text: "Is this cloud a rain cloud?" },
          ],
        },
      ],
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
      stop_sequences: ["</answer>"],
      temperature: 0.5,
      top_p: 0.9,
      stream: true,
      metadata: { user_id: "user-42" },
    });
    const wire = JSON.parse(JSON.stringify(chat));
    expect(parseChatRequest(wire)).toEqual(wire);
    expect(wire.messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "user",
      "assistant",
      "user",
    ]);
  });
});
