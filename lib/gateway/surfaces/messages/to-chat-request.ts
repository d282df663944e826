import type { ChatRequest, ContentPart } from "@/lib/gateway/chat-request";
import { GatewayError } from "@/lib/gateway/errors";
import { invalidValue } from "@/lib/gateway/request-validation";
import { carryUnknownFields } from "../extra-fields";
import type { MessagesRequest } from "./request";
import type { ContentBlockParam, ImageSource, MessageParam, ToolResultBlockParam } from "./types";

// An Anthropic Messages request → the canonical (OpenAI Chat Completions) request, so that any
// model behind an OpenAI-compatible channel can serve /v1/messages. The result is a plain object
// that the chat parser (parseChatRequest) accepts. Native Anthropic channels should be given the
// original MessagesRequest instead: this translation drops what only Claude understands.
//
// Not translated, on purpose:
// - top_k: OpenAI's API has no such parameter.
// - thinking: the budget means nothing to other models, and reasoning_effort is not accepted by
//   every OpenAI-compatible upstream; reasoning models think anyway and their reasoning_content
//   comes back as thinking blocks (response.ts, stream.ts).
// - cache_control markers (on system, blocks, tools): Anthropic's explicit prompt caching
//   (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching); OpenAI-compatible
//   upstreams cache prefixes automatically.
// - service_tier: Anthropic's "auto"/"standard_only" have no OpenAI equivalent.
// - Anthropic-only top-level fields (container, mcp_servers, context_management …). Other unknown
//   fields travel on, as on /v1/chat/completions (extra-fields.ts).

/** OpenAI's `stop` takes at most 4 sequences (https://platform.openai.com/docs/api-reference/chat/create). */
const MAX_OPENAI_STOP_SEQUENCES = 4;
/** How text blocks that become one string are joined (system blocks, text-only turns, tool results). */
const BLOCK_SEPARATOR = "\n\n";

type ChatMessage = ChatRequest["messages"][number];

export function messagesToChatRequest(req: MessagesRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  const system = systemText(req.system);
  if (system !== null) messages.push({ role: "system", content: system });
  req.messages.forEach((message, i) => {
    messages.push(...(message.role === "user" ? userMessages(message, i) : assistantMessages(message, i)));
  });

  const chat: ChatRequest = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true }; // usage arrives only when asked for
  }
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  const stop = stopSequences(req.stop_sequences);
  if (stop) chat.stop = stop;
  if (req.tools && req.tools.length > 0) {
    chat.tools = req.tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description != null ? { description: tool.description } : {}),
        parameters: tool.input_schema,
      },
    }));
    // tool_choice without tools is a 400 on OpenAI, so it is only sent along with tools.
    if (req.tool_choice) {
      chat.tool_choice = toolChoice(req.tool_choice);
      if (req.tool_choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
    }
  }
  if (req.metadata?.user_id != null) chat.user = req.metadata.user_id;
  carryUnknownFields(req, chat as Record<string, unknown>, MESSAGES_FIELDS);
  return chat;
}

/** The Messages API's own top-level fields (https://docs.anthropic.com/en/api/messages): translated above or dropped. */
const MESSAGES_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "messages",
  "max_tokens",
  "system",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "stream",
  "tools",
  "tool_choice",
  "metadata",
  "thinking",
  "service_tier",
  "container",
  "mcp_servers",
  "context_management",
]);

function systemText(system: MessagesRequest["system"]): string | null {
  if (system == null) return null;
  if (typeof system === "string") return system.length > 0 ? system : null;
  return system.length > 0 ? system.map((block) => block.text).join(BLOCK_SEPARATOR) : null;
}

function stopSequences(sequences: string[] | null | undefined): string[] | null {
  if (!sequences || sequences.length === 0) return null;
  if (sequences.length > MAX_OPENAI_STOP_SEQUENCES) {
    throw invalidValue(
      "stop_sequences",
      `this model accepts at most ${MAX_OPENAI_STOP_SEQUENCES} stop sequences, but got ${sequences.length}`,
    );
  }
  return sequences;
}

// https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use
function toolChoice(choice: NonNullable<MessagesRequest["tool_choice"]>): ChatRequest["tool_choice"] {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: choice.name } };
  }
}

// A user turn may mix tool results with new content. OpenAI wants each result as its own
// {role:"tool"} message right after the assistant's tool calls, so they come first, then one user
// message with the rest of the turn.
function userMessages(message: MessageParam, i: number): ChatMessage[] {
  if (typeof message.content === "string") return [{ role: "user", content: message.content }];
  const toolMessages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  message.content.forEach((block, j) => {
    const path = `messages.${i}.content.${j}`;
    switch (block.type) {
      case "text":
        parts.push({ type: "text", text: block.text });
        return;
      case "image":
        parts.push(imagePart(block.source, `${path}.source`));
        return;
      case "tool_result": {
        const result = toolResult(block, `${path}.content`);
        toolMessages.push({ role: "tool", tool_call_id: block.tool_use_id, content: result.text });
        // OpenAI tool messages carry text only; images a tool returned (a screenshot…) go into the
        // user message that follows, so a vision model still sees them.
        parts.push(...result.images);
        return;
      }
      default:
        throw unsupportedBlock(block, path, "user");
    }
  });
  if (parts.length === 0 && toolMessages.length > 0) return toolMessages;
  return [...toolMessages, { role: "user", content: userContent(parts) }];
}

/**
 * Text-only content becomes one string: every OpenAI-compatible upstream accepts a string, not all
 * accept an array of parts (some text-only models' templates read `content` as a string).
 */
function userContent(parts: ContentPart[]): string | ContentPart[] {
  if (parts.every((part) => part.type === "text")) return parts.map((part) => part.text).join(BLOCK_SEPARATOR);
  return parts;
}

function toolResult(block: ToolResultBlockParam, path: string): { text: string; images: ContentPart[] } {
  const texts: string[] = [];
  const images: ContentPart[] = [];
  if (typeof block.content === "string") texts.push(block.content);
  else if (Array.isArray(block.content)) {
    block.content.forEach((inner, k) => {
      if (inner.type === "text") texts.push(inner.text);
      else if (inner.type === "image") images.push(imagePart(inner.source, `${path}.${k}.source`));
      else throw unsupportedBlock(inner, `${path}.${k}`, "tool_result");
    });
  }
  const text = texts.join(BLOCK_SEPARATOR);
  // is_error has no field in OpenAI's tool message; the model reads it from the text instead
  // (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-tool-use-and-tool-result-content-blocks).
  return { text: block.is_error === true ? `Error: ${text}` : text, images };
}

function imagePart(source: ImageSource, path: string): ContentPart {
  switch (source.type) {
    case "base64":
      return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    case "url":
      return { type: "image_url", image_url: { url: source.url } };
    case "file":
      // Files API ids (https://docs.anthropic.com/en/docs/build-with-claude/files) exist only on Anthropic.
      throw new GatewayError(
        "invalid_request",
        `Invalid value for '${path}.type': images from Anthropic's Files API ('file') are not supported for this model; send the image as 'base64' or 'url'.`,
        { param: `${path}.type` },
      );
  }
}

// Thinking blocks of earlier turns are dropped: their signatures only mean something to Claude,
// and OpenAI-style APIs expect prior reasoning to be left out of the history
// (https://api-docs.deepseek.com/guides/reasoning_model#multi-round-conversation).
function assistantMessages(message: MessageParam, i: number): ChatMessage[] {
  if (typeof message.content === "string") return [{ role: "assistant", content: message.content }];
  const texts: string[] = [];
  const toolCalls: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> = [];
  message.content.forEach((block, j) => {
    switch (block.type) {
      case "text":
        texts.push(block.text);
        return;
      case "tool_use":
        toolCalls.push({
          id: block.id,
          type: "function",
          function: { name: block.name, arguments: JSON.stringify(block.input) },
        });
        return;
      case "thinking":
      case "redacted_thinking":
        return;
      default:
        throw unsupportedBlock(block, `messages.${i}.content.${j}`, "assistant");
    }
  });
  // Only thinking (or nothing at all): an empty assistant message would be refused by some upstreams.
  if (texts.length === 0 && toolCalls.length === 0) return [];
  // Claude splits one answer into several text blocks (around citations, tool calls): they were
  // produced as one text, so they are joined without a separator.
  const text = texts.join("");
  return [
    {
      role: "assistant",
      content: text.length > 0 || toolCalls.length === 0 ? text : null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    },
  ];
}

const WHERE_BLOCKS_BELONG: Record<string, string> = {
  tool_use: "tool_use blocks belong in an assistant message",
  tool_result: "tool_result blocks belong in a user message",
  thinking: "thinking blocks belong in an assistant message",
  redacted_thinking: "redacted_thinking blocks belong in an assistant message",
  image: "image blocks belong in a user message",
};

function unsupportedBlock(block: ContentBlockParam, path: string, where: "user" | "assistant" | "tool_result") {
  const type = (block as { type: string }).type;
  const misplaced = WHERE_BLOCKS_BELONG[type];
  if (misplaced && where !== "tool_result") return invalidValue(`${path}.type`, misplaced);
  const hint =
    type === "document"
      ? "; send the document's text as a text block instead"
      : type === "server_tool_use" || type.endsWith("_tool_result")
        ? "; server tools are not supported"
        : "";
  return invalidValue(
    `${path}.type`,
    `'${type}' content blocks are not supported ${where === "tool_result" ? "in a tool_result" : "for this model"}${hint}`,
  );
}
