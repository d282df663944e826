// An Anthropic Message (https://docs.anthropic.com/en/api/messages, the non-streaming answer) → a
// canonical chat.completion. Pure.
import type { CanonicalMessage, CanonicalToolCall, ChatCompletion } from "../../canonical";
import type { AnthropicMessage } from "./types";
import { finishReasonOf, toCanonicalUsage } from "./usage";

/**
 * Text blocks → `content` (concatenated; null when there is none, as OpenAI answers a pure tool
 * call), thinking blocks → `reasoning_content`, tool_use blocks → `tool_calls` with the input
 * re-encoded as the JSON string OpenAI clients parse. redacted_thinking (encrypted, for Anthropic
 * only, https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking) and server-tool
 * blocks have no OpenAI counterpart and are left out.
 */
export function fromAnthropicMessage(message: AnthropicMessage, publicModel: string): ChatCompletion {
  const texts: string[] = [];
  const thinking: string[] = [];
  const toolCalls: CanonicalToolCall[] = [];
  for (const block of message.content) {
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else if (block.type === "thinking" && typeof block.thinking === "string") thinking.push(block.thinking);
    else if (block.type === "tool_use" && typeof block.id === "string" && typeof block.name === "string") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const assistant: CanonicalMessage = { role: "assistant", content: texts.length > 0 ? texts.join("") : null };
  if (thinking.length > 0) assistant.reasoning_content = thinking.join("");
  if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
  return {
    id: message.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: publicModel,
    choices: [{ index: 0, message: assistant, finish_reason: finishReasonOf(message.stop_reason), logprobs: null }],
    usage: toCanonicalUsage(message.usage),
  };
}
