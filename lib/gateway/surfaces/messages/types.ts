// Wire shapes of Anthropic's Messages API (https://docs.anthropic.com/en/api/messages), in the
// provider's snake_case. Request blocks carry the SDK's "Param" suffix; response blocks do not.
// Every object may carry fields we do not name (new Anthropic options keep working).

export interface CacheControl {
  type: string;
  ttl?: string;
  [extra: string]: unknown;
}

export interface TextBlockParam {
  type: "text";
  text: string;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

export type ImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "file"; file_id: string };

export interface ImageBlockParam {
  type: "image";
  source: ImageSource;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

export interface ToolUseBlockParam {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

export interface ToolResultBlockParam {
  type: "tool_result";
  tool_use_id: string;
  /** A string, or blocks (text, image; Anthropic also allows documents and search results). */
  content?: string | ContentBlockParam[] | null;
  is_error?: boolean | null;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

export interface ThinkingBlockParam {
  type: "thinking";
  thinking: string;
  signature?: string;
  [extra: string]: unknown;
}

export interface RedactedThinkingBlockParam {
  type: "redacted_thinking";
  data: string;
  [extra: string]: unknown;
}

/**
 * The blocks we know. Others (document, search_result, server_tool_use, web_search_tool_result …)
 * pass validation as `{ type: string }` and are refused where they cannot be served.
 */
export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam
  | ThinkingBlockParam
  | RedactedThinkingBlockParam;

export interface MessageParam {
  role: "user" | "assistant";
  content: string | ContentBlockParam[];
  [extra: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Response (https://docs.anthropic.com/en/api/messages → Response)

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export interface TextBlock {
  type: "text";
  text: string;
}

export interface ThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export type ContentBlock = TextBlock | ThinkingBlock | ToolUseBlock;

export interface AnthropicMessageResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}
