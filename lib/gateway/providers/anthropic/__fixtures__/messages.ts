// Anthropic Messages API payloads in the shapes the docs record, for the adapter's tests.
// Non-streaming answers: https://docs.anthropic.com/en/api/messages (examples),
// https://docs.anthropic.com/en/docs/build-with-claude/tool-use, …/extended-thinking and
// …/prompt-caching (usage with cache fields). Streams: https://docs.anthropic.com/en/api/messages-streaming
// ("Basic streaming request", "Streaming request with tool use", "Streaming request with extended
// thinking", "Error events"), exactly as they come on the wire: `event:` and `data:` lines, the
// docs' spacing, a ping after the first block starts.
import type { AnthropicMessage } from "../types";

export const TEXT_MESSAGE: AnthropicMessage = {
  id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content: [{ type: "text", text: "Hi! My name is Claude." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 2095, output_tokens: 503 },
};

export const TOOL_USE_MESSAGE: AnthropicMessage = {
  id: "msg_01Aq9w938a90dw8q",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content: [
    { type: "text", text: "I'll check the current weather in San Francisco for you." },
    {
      type: "tool_use",
      id: "toolu_01A09q90qw90lq917835lq9",
      name: "get_weather",
      input: { location: "San Francisco, CA", unit: "celsius" },
    },
  ],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 384, output_tokens: 76 },
};

export const THINKING_MESSAGE: AnthropicMessage = {
  id: "msg_01ThinkingExampleA1b2C3",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content: [
    {
      type: "thinking",
      thinking: "Let me analyze this step by step...",
      signature:
        "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL5L7H5emn7ZpZy8HGMj9grvpu6gcPHJ88",
    },
    { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP" },
    { type: "text", text: "Based on my analysis..." },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 72, output_tokens: 612 },
};

/** A prompt-caching answer: 1,800 tokens read from the cache, 248 written, 21 uncached. */
export const CACHED_MESSAGE: AnthropicMessage = {
  id: "msg_01CacheHitExample9xYz",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content: [{ type: "text", text: "The novel's central theme is pride." }],
  stop_reason: "max_tokens",
  stop_sequence: null,
  usage: { input_tokens: 21, cache_creation_input_tokens: 248, cache_read_input_tokens: 1800, output_tokens: 393 },
};

export const TEXT_STREAM = String.raw`event: message_start
data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-opus-4-20250514", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "! 日本語 👋"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 0}

event: message_delta
data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

event: message_stop
data: {"type": "message_stop"}

`;

/** Text, then two tool_use blocks (content block indexes 1 and 2), inputs split into JSON pieces. */
export const TOOL_STREAM = String.raw`event: message_start
data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-opus-4-20250514","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check the weather and time for San Francisco, CA:"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Francisc"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"o, CA\", \"unit\": \"fah"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"renheit\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01CqvMdLpMDB7pLzMS1j8oZo","name":"get_time","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"timezone\": "}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"America/Los_Angeles\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`;

/** Extended thinking: thinking deltas, a signature_delta, then the text block. */
export const THINKING_STREAM = String.raw`event: message_start
data: {"type": "message_start", "message": {"id": "msg_01NjKjWJDp5cRaW4WFaF4rPq", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-20250514", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 56, "output_tokens": 4}}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me solve this step by step:\n\n1. First break down 27 * 453"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "\n2. 453 = 400 + 50 + 3"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 0}

event: content_block_start
data: {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "27 * 453 = 12,231"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 1}

event: message_delta
data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 210}}

event: message_stop
data: {"type": "message_stop"}

`;

/**
 * Prompt caching on a stream: message_start has the input and cache counts, and message_delta
 * restates them with the cumulative output (the newer API's behaviour; older answers sent only
 * output_tokens there).
 */
export const CACHED_STREAM = String.raw`event: message_start
data: {"type":"message_start","message":{"id":"msg_01Hc8Wq3CacheStream","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":248,"cache_read_input_tokens":1800,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Pride."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":21,"cache_creation_input_tokens":248,"cache_read_input_tokens":1800,"output_tokens":393}}

event: message_stop
data: {"type":"message_stop"}

`;

/** An overloaded_error after two text deltas: the 200 already went out, the body just ends. */
export const ERROR_STREAM = String.raw`event: message_start
data: {"type": "message_start", "message": {"id": "msg_01ErrorMidStream", "type": "message", "role": "assistant", "content": [], "model": "claude-opus-4-20250514", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Once upon"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " a time"}}

event: error
data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

`;

/** Error bodies of https://docs.anthropic.com/en/api/errors, by status. */
export const ERROR_BODIES: Record<number, { type: string; message: string }> = {
  400: { type: "invalid_request_error", message: 'messages: roles must alternate between "user" and "assistant"' },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  402: { type: "billing_error", message: "Your account has an unpaid invoice." },
  403: { type: "permission_error", message: "Your API key does not have permission to use the specified resource." },
  404: { type: "not_found_error", message: "model: claude-nonexistent-1" },
  413: { type: "request_too_large", message: "Request exceeds the maximum allowed number of bytes." },
  429: { type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit" },
  500: { type: "api_error", message: "Internal server error" },
  504: { type: "timeout_error", message: "Request timed out" },
  529: { type: "overloaded_error", message: "Overloaded" },
};

export function errorBody(status: number, message?: string): string {
  const error = ERROR_BODIES[status];
  return JSON.stringify({
    type: "error",
    error: { type: error.type, message: message ?? error.message },
    request_id: "req_011CSHoEeqs5C35K2UUqR7Fy",
  });
}
