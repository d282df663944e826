// The gateway's internal chat contract. Every inbound surface (/v1/chat/completions, /v1/messages,
// /v1/responses) decodes its request into a canonical chat request, and every provider adapter
// (openai-compatible, anthropic, demo) answers with a canonical completion or a stream of canonical
// chunks. The canonical shapes are OpenAI's Chat Completions shapes
// (https://platform.openai.com/docs/api-reference/chat): the format most upstreams speak natively,
// so the common path (OpenAI in, OpenAI-compatible out) needs no conversion at all.
//
// One addition: usage may carry `prompt_tokens_details.cache_write_tokens` (tokens written to a
// provider's prompt cache, e.g. Anthropic's cache_creation_input_tokens), billed at the model's
// cache-write price. `prompt_tokens` always includes cached and cache-written tokens.

export type { ChatRequest, ContentPart } from "./chat-request";

export interface CanonicalUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  [extra: string]: unknown;
}

export interface CanonicalToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface CanonicalMessage {
  role: "assistant";
  content: string | null;
  /** Reasoning / thinking text, when the provider returns it (DeepSeek's field name). */
  reasoning_content?: string | null;
  tool_calls?: CanonicalToolCall[];
  refusal?: string | null;
  [extra: string]: unknown;
}

export type CanonicalFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export interface CanonicalChoice {
  index: number;
  message: CanonicalMessage;
  finish_reason: CanonicalFinishReason | null;
  logprobs?: unknown;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: CanonicalChoice[];
  usage?: CanonicalUsage | null;
  system_fingerprint?: string | null;
  [extra: string]: unknown;
}

export interface CanonicalToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface CanonicalDelta {
  role?: "assistant";
  content?: string | null;
  reasoning_content?: string | null;
  tool_calls?: CanonicalToolCallDelta[];
  refusal?: string | null;
  [extra: string]: unknown;
}

export interface ChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: CanonicalDelta;
    finish_reason: CanonicalFinishReason | null;
    logprobs?: unknown;
  }>;
  /** Only on the final usage chunk (choices: []), as OpenAI sends it with stream_options.include_usage. */
  usage?: CanonicalUsage | null;
  system_fingerprint?: string | null;
  [extra: string]: unknown;
}
