// The OpenAI wire format, spoken by most upstreams (DeepSeek, Moonshot, Zhipu, DashScope compatible
// mode, OpenAI, vLLM …). Pure translation: no I/O here.
import type { TokenCounts } from "@/lib/billing/money";
import type { ChatRequest } from "../chat-request";

export interface OutputCap {
  field: "max_tokens" | "max_completion_tokens";
  value: number;
}

/**
 * The body sent upstream: the client's body untouched except the mapped model name, an output cap
 * that never exceeds what the hold covers, and usage forced on for streams (we bill from it).
 */
export function buildUpstreamChatBody(
  request: ChatRequest,
  upstreamModel: string,
  cap: OutputCap,
): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request, model: upstreamModel };
  if (cap.field === "max_completion_tokens") delete body.max_tokens;
  body[cap.field] = cap.value;
  if (request.stream) {
    body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
  }
  return body;
}

/** The output cap to send: the client's (clamped to the model's maximum) or the model's default. */
export function chooseOutputCap(
  request: ChatRequest,
  model: { defaultMaxOutputTokens: number; maxOutputTokens: number },
): OutputCap {
  // OpenAI's newer field wins when both are given, as OpenAI does.
  const field = request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const asked = request.max_completion_tokens ?? request.max_tokens ?? model.defaultMaxOutputTokens;
  return { field, value: Math.min(asked, model.maxOutputTokens) };
}

interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  prompt_cache_hit_tokens?: number; // DeepSeek: https://api-docs.deepseek.com/guides/kv_cache
}

/** OpenAI-shaped usage → our token counts (uncached input, cached input, output), or null. */
export function parseUsage(usage: unknown): TokenCounts | null {
  if (!usage || typeof usage !== "object") return null;
  const u = usage as WireUsage;
  if (typeof u.prompt_tokens !== "number" && typeof u.completion_tokens !== "number") return null;
  const prompt = nonNegative(u.prompt_tokens);
  const cached = Math.min(prompt, nonNegative(u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens));
  return { inputTokens: prompt - cached, cachedInputTokens: cached, outputTokens: nonNegative(u.completion_tokens) };
}

function nonNegative(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
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
