// OpenAI chat messages → Anthropic's top-level `system` plus alternating user/assistant turns
// (https://docs.anthropic.com/en/api/messages). Pure.
import type { ChatRequest } from "../../chat-request";
import { GatewayError } from "../../errors";
import { isRecord } from "../../request-validation";
import { invalidMessages, textBlocksOf, userBlocksOf } from "./content";
import type {
  AnthropicRequestBlock,
  AnthropicRequestMessage,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from "./types";

type ChatMessage = ChatRequest["messages"][number];

/**
 * The text of the user turn put first when a conversation does not start with one (it opens with an
 * assistant message, or has only system messages). Anthropic's turns alternate starting with the
 * user, and it refuses empty text blocks, so the documented-safe opening is a short non-empty user
 * turn rather than reordering or dropping what the tenant sent.
 */
export const EMPTY_USER_TURN_TEXT = "(empty)";

export interface ConvertedMessages {
  system?: string | AnthropicTextBlock[];
  messages: AnthropicRequestMessage[];
}

interface Turn {
  role: "user" | "assistant";
  /** tool_result blocks: Anthropic wants them first in their user turn (see mergeTurns). */
  results: AnthropicToolResultBlock[];
  blocks: AnthropicRequestBlock[];
}

export function convertMessages(messages: ChatMessage[]): ConvertedMessages {
  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  messages.forEach((message, i) => {
    const path = `messages.${i}`;
    switch (message.role) {
      // Anthropic has no system role in `messages`: system prompts go in the top-level `system`
      // (https://docs.anthropic.com/en/docs/build-with-claude/prompt-engineering/system-prompts).
      // OpenAI's `developer` role is the o-series name for the same thing. Order is kept; a system
      // message in the middle of a conversation moves to the top, the only place Anthropic has.
      case "system":
      case "developer":
        system.push(...textBlocksOf(message.content, `${path}.content`));
        return;
      case "user":
        turns.push({ role: "user", results: [], blocks: userBlocksOf(message.content, `${path}.content`) });
        return;
      case "assistant":
        turns.push({ role: "assistant", results: [], blocks: assistantBlocks(message, path) });
        return;
      case "tool":
        turns.push({ role: "user", results: [toolResult(message, path)], blocks: [] });
        return;
      case "function":
        throw legacyFunctionsError(`${path}.role`);
      default:
        throw invalidMessages(`${path}.role`, `role '${String(message.role).slice(0, 40)}' is not supported`);
    }
  });
  return { ...systemField(system), messages: finalTurns(turns) };
}

/** Legacy function calling is refused rather than mapped (see request.ts). */
export function legacyFunctionsError(param: string): GatewayError {
  return new GatewayError(
    "invalid_request",
    "The legacy 'functions' / 'function_call' interface is not available on this model; use 'tools' and 'tool_choice'.",
    { param, code: "unsupported_parameter" },
  );
}

/**
 * One string when no block asks for caching (the common case, and the simplest body); text blocks
 * in order otherwise, so a tenant's cache_control breakpoint stays on its block.
 */
function systemField(blocks: AnthropicTextBlock[]): Pick<ConvertedMessages, "system"> {
  if (blocks.length === 0) return {};
  if (blocks.some((b) => b.cache_control)) return { system: blocks };
  return { system: blocks.map((b) => b.text).join("\n\n") };
}

function assistantBlocks(message: ChatMessage, path: string): AnthropicRequestBlock[] {
  if (message.function_call !== undefined && message.function_call !== null) {
    throw legacyFunctionsError(`${path}.function_call`);
  }
  // `reasoning_content` (DeepSeek's field, which our own answers carry) is dropped: Anthropic only
  // takes back thinking blocks with the signature it issued
  // (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks),
  // which OpenAI-shaped history cannot carry; without thinking enabled, previous thinking is not needed.
  const blocks: AnthropicRequestBlock[] = textBlocksOf(message.content, `${path}.content`, true);
  (message.tool_calls ?? []).forEach((call, j) => blocks.push(toolUse(call, `${path}.tool_calls.${j}`)));
  return blocks;
}

function toolUse(call: NonNullable<ChatMessage["tool_calls"]>[number], path: string): AnthropicToolUseBlock {
  if (call.type !== undefined && call.type !== "function") {
    throw invalidMessages(`${path}.type`, `tool call type '${String(call.type).slice(0, 40)}' is not supported`);
  }
  if (!call.function) throw invalidMessages(`${path}.function`, "missing");
  if (typeof call.id !== "string" || call.id.length === 0) throw invalidMessages(`${path}.id`, "expected a string");
  return {
    type: "tool_use",
    id: toolUseId(call.id),
    name: call.function.name,
    input: toolInput(call.function.arguments, `${path}.function.arguments`),
  };
}

/**
 * Anthropic takes a tool call's input as a JSON object, not a string
 * (https://docs.anthropic.com/en/docs/build-with-claude/tool-use). Arguments that are not a JSON
 * object are the tenant's mistake (or a truncated generation replayed): our 400, naming the call.
 * An empty string is the no-argument call some clients send, and reads as {}.
 */
function toolInput(args: string, path: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalidMessages(path, "the tool call arguments must be a JSON object, and this is not valid JSON");
  }
  if (!isRecord(parsed)) throw invalidMessages(path, "the tool call arguments must be a JSON object");
  return parsed;
}

/**
 * Anthropic's tool_use ids must match ^[a-zA-Z0-9_-]+$ (https://docs.anthropic.com/en/api/messages);
 * other providers' ids do not always (Kimi's look like "functions.get_weather:0"). The same mapping
 * is applied to tool_use.id and tool_result.tool_use_id, so the pair still matches.
 */
export function toolUseId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, "_");
}

function toolResult(message: ChatMessage, path: string): AnthropicToolResultBlock {
  const id = message.tool_call_id;
  if (typeof id !== "string" || id.length === 0) {
    throw new GatewayError("invalid_request", `Missing required parameter: '${path}.tool_call_id'.`, {
      param: "messages",
    });
  }
  const content = textBlocksOf(message.content, `${path}.content`);
  const block: AnthropicToolResultBlock = { type: "tool_result", tool_use_id: toolUseId(id) };
  // A tool that returned nothing is sent without content (allowed; an empty text block is not).
  if (content.length === 1 && !content[0].cache_control) block.content = content[0].text;
  else if (content.length > 0) block.content = content;
  return block;
}

function finalTurns(turns: Turn[]): AnthropicRequestMessage[] {
  const merged = mergeTurns(turns.filter((t) => t.results.length + t.blocks.length > 0));
  trimFinalAssistantText(merged);
  const kept = mergeTurns(merged.filter((t) => t.results.length + t.blocks.length > 0));
  if (kept.length === 0 || kept[0].role !== "user") {
    kept.unshift({ role: "user", results: [], blocks: [{ type: "text", text: EMPTY_USER_TURN_TEXT }] });
  }
  return kept.map((t) => ({ role: t.role, content: [...t.results, ...t.blocks] }));
}

/**
 * Consecutive turns of one role become one turn: Anthropic's turns alternate user/assistant
 * (https://docs.anthropic.com/en/api/messages), and OpenAI's tool messages (one per call) all
 * become the one user turn that must follow the assistant's tool_use blocks. In a user turn the
 * tool_result blocks go first, before any text: Anthropic refuses text before them
 * (https://docs.anthropic.com/en/docs/build-with-claude/tool-use#handling-tool-use-and-tool-result-content-blocks).
 */
function mergeTurns(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const turn of turns) {
    const last = out.at(-1);
    if (last && last.role === turn.role) {
      last.results.push(...turn.results);
      last.blocks.push(...turn.blocks);
    } else {
      out.push({ role: turn.role, results: [...turn.results], blocks: [...turn.blocks] });
    }
  }
  return out;
}

/**
 * A conversation ending with an assistant turn is a prefill on Anthropic (the answer continues it,
 * https://docs.anthropic.com/en/docs/build-with-claude/prompt-engineering/prefill-claudes-response),
 * and Anthropic refuses a final assistant text ending in whitespace ("final assistant content
 * cannot end with trailing whitespace"): that whitespace is trimmed.
 */
function trimFinalAssistantText(turns: Turn[]): void {
  const last = turns.at(-1);
  if (!last || last.role !== "assistant") return;
  const block = last.blocks.at(-1);
  if (block?.type !== "text") return;
  const text = block.text.trimEnd();
  if (text.length > 0) last.blocks[last.blocks.length - 1] = { ...block, text };
  else last.blocks.pop();
}
