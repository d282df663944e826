// The Anthropic Messages API wire format (https://docs.anthropic.com/en/api/messages), as far as the
// gateway speaks it. Wire names stay in Anthropic's snake_case; conversion happens in request.ts,
// response.ts and stream.ts. Index signatures keep fields we do not model (new block types, beta
// fields) from being type errors when they arrive.

// ---------------------------------------------------------------------------------------------
// Content blocks

/** Prompt caching breakpoint (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching). */
export interface AnthropicCacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

export interface AnthropicTextBlock {
  type: "text";
  text: string;
  cache_control?: AnthropicCacheControl;
  citations?: unknown[] | null;
}

/** Images by base64 data or by URL (https://docs.anthropic.com/en/docs/build-with-claude/vision). */
export type AnthropicImageSource =
  { type: "base64"; media_type: AnthropicImageMediaType; data: string } | { type: "url"; url: string };

export type AnthropicImageMediaType = "image/jpeg" | "image/png" | "image/gif" | "image/webp";

export interface AnthropicImageBlock {
  type: "image";
  source: AnthropicImageSource;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | Array<AnthropicTextBlock | AnthropicImageBlock>;
  is_error?: boolean;
  cache_control?: AnthropicCacheControl;
}

/** Extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). */
export interface AnthropicThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

/** What a request may carry in `messages[].content`. */
export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

/** What a response may carry in `content` (server tools and newer blocks fall in the last member). */
export type AnthropicResponseBlock =
  | AnthropicTextBlock
  | AnthropicToolUseBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | { type: string; [field: string]: unknown };

// ---------------------------------------------------------------------------------------------
// Request

export interface AnthropicRequestMessage {
  role: "user" | "assistant";
  content: string | AnthropicRequestBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
}

/** https://docs.anthropic.com/en/docs/build-with-claude/tool-use (forcing tool use, parallel tool use). */
export type AnthropicToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicRequestMessage[];
  system?: string | AnthropicTextBlock[];
  stream?: boolean;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id?: string };
  thinking?: { type: "enabled"; budget_tokens: number } | { type: "disabled" };
}

// ---------------------------------------------------------------------------------------------
// Response

export type AnthropicStopReason =
  "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal" | (string & {}); // newer reasons must not break decoding

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  [field: string]: unknown;
}

export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

// ---------------------------------------------------------------------------------------------
// Streaming (https://docs.anthropic.com/en/api/messages-streaming)

export interface AnthropicErrorDetail {
  type: string;
  message: string;
}

/** Every non-2xx answer, and the `error` stream event (https://docs.anthropic.com/en/api/errors). */
export interface AnthropicErrorBody {
  type: "error";
  error: AnthropicErrorDetail;
}

export type AnthropicContentDelta =
  | { type: "text_delta"; text: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "citations_delta"; citation: unknown };

/** message_delta usage: every field cumulative; input and cache counts may be restated or absent. */
export interface AnthropicDeltaUsage {
  output_tokens?: number | null;
  input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  [field: string]: unknown;
}

export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicMessage }
  | { type: "content_block_start"; index: number; content_block: AnthropicResponseBlock }
  | { type: "content_block_delta"; index: number; delta: AnthropicContentDelta }
  | { type: "content_block_stop"; index: number }
  | {
      type: "message_delta";
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null };
      usage: AnthropicDeltaUsage;
    }
  | { type: "message_stop" }
  | { type: "ping" }
  | AnthropicErrorBody;
