import type { CanonicalToolCall, CanonicalUsage, ChatCompletion } from "@/lib/gateway/canonical";
import { isRecord } from "@/lib/gateway/request-validation";
import { toAnthropicStopReason } from "./stop-reason";
import type { AnthropicMessageResponse, AnthropicUsage, ContentBlock } from "./types";

// A canonical (OpenAI) completion → Anthropic's Message (https://docs.anthropic.com/en/api/messages
// → Response). Only choice 0 is used: Anthropic has no `n`.

/** "chatcmpl-abc" → "msg_abc": a stable id, so the same completion always gets the same message id. */
export function messageIdFromCompletionId(completionId: string): string {
  return `msg_${completionId.replace(/^chatcmpl-/, "")}`;
}

export function chatCompletionToMessage(completion: ChatCompletion, publicModel: string): AnthropicMessageResponse {
  const choice = completion.choices.find((c) => c.index === 0) ?? completion.choices[0];
  const message = choice?.message;
  const content: ContentBlock[] = [];
  // Thinking first, as Claude answers (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
  // There is no signature to give: "" marks it as not Claude's, and the request translation drops
  // thinking blocks when they come back.
  if (message?.reasoning_content) {
    content.push({ type: "thinking", thinking: message.reasoning_content, signature: "" });
  }
  // A refusal (OpenAI's structured refusal field) is the answer's text.
  const text = message?.content || message?.refusal;
  if (text) content.push({ type: "text", text });
  (message?.tool_calls ?? []).forEach((call, i) => {
    content.push({
      type: "tool_use",
      id: toolUseId(call, completion.id, i),
      name: call.function.name,
      input: toolInput(call),
    });
  });
  const hasToolUse = content.some((block) => block.type === "tool_use");
  return {
    id: messageIdFromCompletionId(completion.id),
    type: "message",
    role: "assistant",
    model: publicModel,
    content,
    stop_reason: toAnthropicStopReason(choice?.finish_reason, hasToolUse),
    stop_sequence: null,
    usage: usageToAnthropic(completion.usage ?? null),
  };
}

/**
 * Anthropic counts input in three disjoint parts (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance):
 * input_tokens are only the uncached ones, while canonical prompt_tokens include cached and
 * cache-written tokens (canonical.ts).
 */
export function usageToAnthropic(usage: CanonicalUsage | null): AnthropicUsage {
  const cacheRead = count(usage?.prompt_tokens_details?.cached_tokens);
  const cacheWrite = count(usage?.prompt_tokens_details?.cache_write_tokens);
  return {
    input_tokens: Math.max(0, count(usage?.prompt_tokens) - cacheRead - cacheWrite),
    output_tokens: count(usage?.completion_tokens),
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Anthropic's input is always an object; arguments a model left invalid (or not an object) become {}. */
export function parseToolInput(args: string | undefined): Record<string, unknown> {
  if (!args) return {};
  try {
    const input: unknown = JSON.parse(args);
    return isRecord(input) ? input : {};
  } catch {
    return {};
  }
}

function toolInput(call: CanonicalToolCall): Record<string, unknown> {
  return parseToolInput(call.function.arguments);
}

/** Upstreams that omit tool-call ids still need one: tool_result blocks refer to it. */
function toolUseId(call: CanonicalToolCall, completionId: string, index: number): string {
  return call.id || `toolu_${completionId.replace(/^chatcmpl-/, "")}_${index}`;
}
