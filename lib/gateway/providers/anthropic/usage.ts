import type { CanonicalFinishReason, CanonicalUsage } from "../../canonical";
import type { AnthropicStopReason, AnthropicUsage } from "./types";

/**
 * Anthropic usage → canonical usage. Anthropic's `input_tokens` counts only the uncached remainder
 * of the prompt: cache reads and cache writes are reported beside it, not inside it
 * (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance),
 * so prompt_tokens is their sum, as OpenAI's prompt_tokens includes its cached tokens.
 */
export function toCanonicalUsage(usage: AnthropicUsage): CanonicalUsage {
  const cacheRead = tokenCount(usage.cache_read_input_tokens);
  const cacheWrite = tokenCount(usage.cache_creation_input_tokens);
  const prompt = tokenCount(usage.input_tokens) + cacheRead + cacheWrite;
  const completion = tokenCount(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
  };
}

// https://docs.anthropic.com/en/api/messages → stop_reason. pause_turn (a server tool's long turn
// paused, to be continued by sending the response back) ends this completion like a normal stop;
// refusal (streaming classifiers intervened) is what OpenAI calls content_filter.
const FINISH_REASONS: Record<string, CanonicalFinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  pause_turn: "stop",
  refusal: "content_filter",
  // Model context window exhausted mid-generation (newer models): the output was cut, like max_tokens.
  model_context_window_exceeded: "length",
};

/** Anthropic stop_reason → OpenAI finish_reason; unknown reasons read as "stop", null stays null. */
export function finishReasonOf(stopReason: AnthropicStopReason | null | undefined): CanonicalFinishReason | null {
  if (stopReason === null || stopReason === undefined) return null;
  return FINISH_REASONS[stopReason] ?? "stop";
}

function tokenCount(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
