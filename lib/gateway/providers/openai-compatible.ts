// The OpenAI wire format, spoken by most upstreams (DeepSeek, Moonshot, Zhipu, DashScope compatible
// mode, OpenAI, vLLM …). Pure translation: no I/O here.
import type { TokenCounts } from "@/lib/billing/money";
import type { ChatRequest } from "../chat-request";
import { GatewayError } from "../errors";
import { fieldNames, upstreamJsonBytes, type PreparedBody, type PreparedChatBody } from "../prepared-body";

export interface OutputCap {
  field: "max_tokens" | "max_completion_tokens";
  value: number;
}

/**
 * Top-level chat fields an OpenAI-compatible upstream receives
 * (https://platform.openai.com/docs/api-reference/chat/create). Everything else is dropped, unless
 * the model lists it in its `extraRequestFields`: unknown fields could raise the upstream's price or
 * change how it keeps the data, and the hold would not cover them. The output cap
 * (`max_tokens` / `max_completion_tokens`) is ours to set, in the field the upstream honours.
 */
export const FORWARDED_CHAT_FIELDS: ReadonlySet<string> = new Set([
  "messages",
  "stream",
  "stream_options",
  "n",
  "stop",
  "temperature",
  "top_p",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "seed",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "functions",
  "function_call",
  "response_format",
  "reasoning_effort", // reasoning tokens are output tokens, bounded by the cap
  "service_tier", // only "auto"/"default" get this far (refusePriceRaisingFields)
  "user",
  "safety_identifier",
  "prompt_cache_key",
  "verbosity",
]);

/** Top-level embeddings fields forwarded (https://platform.openai.com/docs/api-reference/embeddings/create). */
export const FORWARDED_EMBEDDINGS_FIELDS: ReadonlySet<string> = new Set([
  "input",
  "encoding_format",
  "dimensions",
  "user",
]);

/**
 * Refuses (400) the request fields that would make the upstream charge more than our price table
 * says or keep the tenant's data: a paid service tier, web search, audio output and predicted
 * outputs. (`store`/`metadata` and unknown fields are dropped instead, see FORWARDED_CHAT_FIELDS.)
 */
export function refusePriceRaisingFields(prepared: PreparedBody, extraFields: ReadonlySet<string>): void {
  // Large fields travel as bytes (prepared-body.ts): only their presence matters here.
  const present: Record<string, unknown> = {};
  for (const name of fieldNames(prepared)) present[name] = name in prepared.head ? prepared.head[name] : true;
  refuseFields(present, extraFields);
}

function refuseFields(request: Record<string, unknown>, extraFields: ReadonlySet<string>): void {
  const refuse = (param: string, message: string) => {
    if (!extraFields.has(param))
      throw new GatewayError("invalid_request", message, { param, code: "unsupported_parameter" });
  };
  const tier = request.service_tier;
  if (tier !== undefined && tier !== null && tier !== "auto" && tier !== "default") {
    refuse(
      "service_tier",
      `service_tier '${String(tier).slice(0, 40)}' is not available through TokenFlow; use 'auto' or leave it out.`,
    );
  }
  if (request.web_search_options !== undefined && request.web_search_options !== null) {
    refuse("web_search_options", "Web search is not available through TokenFlow on this model.");
  }
  const modalities = request.modalities;
  if (
    (request.audio !== undefined && request.audio !== null) ||
    (Array.isArray(modalities) && modalities.some((m) => m !== "text"))
  ) {
    refuse("modalities", "Audio output is not available through TokenFlow on this model.");
  }
  if (request.prediction !== undefined && request.prediction !== null) {
    refuse("prediction", "Predicted outputs are not available through TokenFlow on this model.");
  }
}

/**
 * The body sent upstream, as JSON bytes: the allow-listed fields of the client's body (its large
 * fields are copied as the bytes they already are, never serialised again), the mapped model name,
 * the output cap the hold covers in the one field this upstream honours (the client's other cap
 * field is removed: an upstream that ignores it would otherwise generate without a bound), and
 * usage forced on for streams (we bill from it).
 */
export function buildUpstreamChatBody(
  prepared: PreparedChatBody,
  upstreamModel: string,
  cap: OutputCap,
  extraFields: ReadonlySet<string> = NO_FIELDS,
): Buffer {
  const head = prepared.head as Partial<ChatRequest>;
  const set: Record<string, unknown> = { model: upstreamModel, [cap.field]: cap.value };
  if (head.stream) set.stream_options = { ...(head.stream_options ?? {}), include_usage: true };
  return upstreamJsonBytes(prepared, { keep: forwarded(FORWARDED_CHAT_FIELDS, extraFields), set });
}

export function buildUpstreamEmbeddingsBody(
  prepared: PreparedBody,
  upstreamModel: string,
  extraFields: ReadonlySet<string> = NO_FIELDS,
): Buffer {
  return upstreamJsonBytes(prepared, {
    keep: forwarded(FORWARDED_EMBEDDINGS_FIELDS, extraFields),
    set: { model: upstreamModel },
  });
}

const NO_FIELDS: ReadonlySet<string> = new Set();
const CAP_FIELDS = new Set(["max_tokens", "max_completion_tokens", "model"]);

function forwarded(allowed: ReadonlySet<string>, extra: ReadonlySet<string>): (name: string) => boolean {
  return (name) => !CAP_FIELDS.has(name) && (allowed.has(name) || extra.has(name));
}

/**
 * The output cap to send: the client's (clamped to the model's maximum) or the model's default, in
 * the field the model (or else the channel) says the upstream honours.
 */
export function chooseOutputCap(
  request: Partial<ChatRequest>,
  model: { defaultMaxOutputTokens: number; maxOutputTokens: number },
  field: OutputCap["field"] = "max_tokens",
): OutputCap {
  // OpenAI's newer field wins when both are given, as OpenAI does.
  const asked = request.max_completion_tokens ?? request.max_tokens ?? model.defaultMaxOutputTokens;
  return { field, value: Math.min(asked, model.maxOutputTokens) };
}

interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  prompt_cache_hit_tokens?: number; // DeepSeek: https://api-docs.deepseek.com/guides/kv_cache
}

/**
 * OpenAI-shaped usage → our token counts (uncached input, cached input, output, and cache writes
 * when the canonical usage of a provider that has them says so: canonical.ts), or null.
 */
export function parseUsage(usage: unknown): TokenCounts | null {
  if (!usage || typeof usage !== "object") return null;
  const u = usage as WireUsage;
  if (typeof u.prompt_tokens !== "number" && typeof u.completion_tokens !== "number") return null;
  const prompt = nonNegative(u.prompt_tokens);
  const cached = Math.min(prompt, nonNegative(u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens));
  const cacheWrite = Math.min(prompt - cached, nonNegative(u.prompt_tokens_details?.cache_write_tokens));
  const counts: TokenCounts = {
    inputTokens: prompt - cached - cacheWrite,
    cachedInputTokens: cached,
    outputTokens: nonNegative(u.completion_tokens),
  };
  if (cacheWrite > 0) counts.cacheWriteInputTokens = cacheWrite;
  return counts;
}

// Token counts are INTEGER columns: an upstream reporting absurd usage is clamped, not allowed to
// make the settlement fail (a 2^31 count at the highest allowed price still fits a BIGINT cost).
const MAX_TOKEN_COUNT = 2_147_483_647;

function nonNegative(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0
    ? Math.min(Math.floor(value), MAX_TOKEN_COUNT)
    : 0;
}

/** Number of output pieces in a stream chunk (content, reasoning or tool-call argument deltas). */
export function countChunkDeltas(chunk: { choices?: Array<{ delta?: Record<string, unknown> }> }): number {
  let count = 0;
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta;
    if (!delta) continue;
    if (typeof delta.content === "string" && delta.content.length > 0) count++;
    else if (typeof delta.reasoning_content === "string" && delta.reasoning_content.length > 0) count++;
    else if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls as Array<{ function?: { arguments?: string } }>) {
        if (call.function?.arguments) count++;
      }
    }
  }
  return count;
}

export function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, "") + path;
}
