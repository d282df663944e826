import type { CanonicalFinishReason } from "@/lib/gateway/canonical";
import type { AnthropicStopReason } from "./types";

// OpenAI finish_reason → Anthropic stop_reason (https://docs.anthropic.com/en/api/messages → stop_reason).
// "stop" is end_turn even when a stop sequence matched: OpenAI does not say which one (or whether
// one did), so stop_sequence stays null. Some OpenAI-compatible upstreams finish a tool-calling
// turn with "stop"; agents loop on stop_reason "tool_use", so tool calls win.
export function toAnthropicStopReason(
  finishReason: CanonicalFinishReason | null | undefined,
  hasToolUse: boolean,
): AnthropicStopReason {
  switch (finishReason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return hasToolUse ? "tool_use" : "end_turn";
  }
}
