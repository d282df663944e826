import { z } from "zod";
import { chatBodyLimits, MAX_OUTPUT_TOKENS_PARAM, type ChatBodyLimits } from "@/lib/gateway/chat-request";
import {
  boundedString,
  integerBetween,
  invalidValue,
  isRecord,
  numberBetween,
  parseWith,
} from "@/lib/gateway/request-validation";
import type { ContentBlockParam } from "./types";

// The POST /v1/messages body, in Anthropic's Messages API format
// (https://docs.anthropic.com/en/api/messages). Like chat-request.ts: strict on the types and ranges
// of the documented fields we route, bill or translate on (a wrong one is our 400 in our wording,
// never an upstream's), pass-through for everything else. What an OpenAI-compatible upstream
// cannot serve (documents, more than 4 stop sequences …) is refused by messagesToChatRequest, not
// here, so a native Anthropic channel can still take it.

export { messagesToChatRequest } from "./to-chat-request";

const MAX_USER_ID_CHARS = 256; // metadata.user_id: "maxLength 256" in the API reference
const MAX_TOOL_NAME_CHARS = 256;
/** Anthropic's floor for an extended-thinking budget (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). */
const MIN_THINKING_BUDGET_TOKENS = 1_024;

const cacheControlSchema = z.looseObject({ type: z.string() }).nullish();

const textBlockSchema = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: cacheControlSchema,
});

// Content blocks are checked by hand, as chat-request.ts does for content parts: one loop that
// reads the blocks instead of zod copying each of possibly hundreds of thousands, and an error
// that names the exact field ('messages.3.content.1.source.data').
const contentSchema = z.custom<string | ContentBlockParam[]>().superRefine((content, context) => {
  const problem = contentProblem(content, []);
  if (problem) {
    context.addIssue({
      code: "custom",
      path: problem.path,
      message: problem.why,
      params: { missing: problem.missing },
    });
  }
});

const messageSchema = z.looseObject({
  // "system" is the usual mistake when coming from OpenAI: Anthropic takes it as a top-level field.
  role: z.string().pipe(
    z.enum(["user", "assistant"], {
      error: "must be one of 'user', 'assistant' (a system prompt goes in the top-level 'system' field)",
    }),
  ),
  content: contentSchema,
});

// Custom tools are {name, description, input_schema}. Anything with another `type` is one of
// Anthropic's server tools (web_search_20250305, code_execution_…) or Anthropic-defined client
// tools (bash_…, text_editor_…, computer_…) whose schema only Claude knows
// (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview). We refuse them on
// every model: no other model can run them, and server tool use is billed per use by Anthropic,
// which our metering does not count.
const toolSchema = z
  .looseObject({
    type: z.string().nullish(),
    name: boundedString(MAX_TOOL_NAME_CHARS, 1),
    description: z.string().nullish(),
    input_schema: z.looseObject({}).optional(),
    cache_control: cacheControlSchema,
  })
  .superRefine((tool, context) => {
    if (tool.type != null && tool.type !== "custom") {
      context.addIssue({
        code: "custom",
        path: ["type"],
        message: `'${tool.type}' is a server tool, which is not supported; only custom tools (name, description, input_schema) are`,
      });
    } else if (tool.input_schema === undefined) {
      context.addIssue({ code: "custom", path: ["input_schema"], message: "missing", params: { missing: true } });
    }
  });

const toolChoiceSchema = z
  .looseObject({
    type: z.enum(["auto", "any", "tool", "none"]),
    name: boundedString(MAX_TOOL_NAME_CHARS, 1).optional(),
    disable_parallel_tool_use: z.boolean().nullish(),
  })
  .superRefine((choice, context) => {
    if (choice.type === "tool" && choice.name === undefined) {
      context.addIssue({ code: "custom", path: ["name"], message: "missing", params: { missing: true } });
    }
  });

// "enabled" takes a budget; "adaptive" (newer models) lets the model decide and takes none
// (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). budget_tokens < max_tokens
// is not checked: interleaved thinking lifts that rule, and Anthropic enforces it natively.
const thinkingSchema = z
  .looseObject({
    type: z.enum(["enabled", "adaptive", "disabled"]),
    budget_tokens: integerBetween(MIN_THINKING_BUDGET_TOKENS, MAX_OUTPUT_TOKENS_PARAM).nullish(),
  })
  .superRefine((thinking, context) => {
    if (thinking.type === "enabled" && thinking.budget_tokens == null) {
      context.addIssue({ code: "custom", path: ["budget_tokens"], message: "missing", params: { missing: true } });
    }
  });

function countTokensSchema(limits: ChatBodyLimits) {
  return z.looseObject({
    model: z.string().min(1).max(200),
    messages: z
      .array(messageSchema)
      .min(1, "messages must contain at least one message")
      .max(limits.maxMessages, `must have at most ${limits.maxMessages} messages`),
    system: z
      .union([z.string(), z.array(textBlockSchema)], { error: "expected a string or an array of text blocks" })
      .nullish(),
    tools: z.array(toolSchema).max(limits.maxTools, `must have at most ${limits.maxTools} tools`).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    thinking: thinkingSchema.nullish(),
  });
}

function messagesSchema(limits: ChatBodyLimits) {
  return countTokensSchema(limits).extend({
    // Required by Anthropic, unlike OpenAI's: we refuse its absence the same way.
    max_tokens: integerBetween(1, MAX_OUTPUT_TOKENS_PARAM),
    stop_sequences: z.array(z.string()).nullish(),
    temperature: numberBetween(0, 1).nullish(), // Anthropic's range, not OpenAI's 0..2
    top_p: numberBetween(0, 1).nullish(),
    top_k: integerBetween(0, MAX_OUTPUT_TOKENS_PARAM).nullish(),
    stream: z.boolean().nullish(),
    metadata: z.looseObject({ user_id: boundedString(MAX_USER_ID_CHARS).nullish() }).nullish(),
    // Only Anthropic's two documented values (https://docs.anthropic.com/en/api/service-tiers).
    service_tier: z.enum(["auto", "standard_only"]).nullish(),
  });
}

export type MessagesRequest = z.infer<ReturnType<typeof messagesSchema>>;
/** The POST /v1/messages/count_tokens body: a Messages body without max_tokens and sampling fields. */
export type CountTokensRequest = z.infer<ReturnType<typeof countTokensSchema>>;

const messagesSchemas = new Map<string, ReturnType<typeof messagesSchema>>();
const countTokensSchemas = new Map<string, ReturnType<typeof countTokensSchema>>();

export function parseMessagesRequest(body: unknown, limits: ChatBodyLimits = chatBodyLimits()): MessagesRequest {
  refuseLongArrays(body, limits);
  const key = `${limits.maxMessages}:${limits.maxTools}`;
  let schema = messagesSchemas.get(key);
  if (!schema) messagesSchemas.set(key, (schema = messagesSchema(limits)));
  return parseWith(schema, body);
}

export function parseCountTokensRequest(body: unknown, limits: ChatBodyLimits = chatBodyLimits()): CountTokensRequest {
  refuseLongArrays(body, limits);
  const key = `${limits.maxMessages}:${limits.maxTools}`;
  let schema = countTokensSchemas.get(key);
  if (!schema) countTokensSchemas.set(key, (schema = countTokensSchema(limits)));
  return parseWith(schema, body);
}

// Cheap count checks first: zod would validate every item of a 1,000,000-message array before its max().
function refuseLongArrays(body: unknown, limits: ChatBodyLimits) {
  if (!isRecord(body)) return;
  if (Array.isArray(body.messages) && body.messages.length > limits.maxMessages) {
    throw invalidValue("messages", `must have at most ${limits.maxMessages} messages`);
  }
  if (Array.isArray(body.tools) && body.tools.length > limits.maxTools) {
    throw invalidValue("tools", `must have at most ${limits.maxTools} tools`);
  }
}

// ---------------------------------------------------------------------------------------------
// Content blocks (https://docs.anthropic.com/en/api/messages → messages.content)

interface Problem {
  path: (string | number)[];
  why: string;
  missing?: boolean;
}

const IMAGE_SOURCES = ["base64", "url", "file"];

function contentProblem(content: unknown, path: (string | number)[]): Problem | null {
  if (content === undefined) return { path, why: "missing", missing: true };
  if (typeof content === "string") return null;
  if (!Array.isArray(content)) return { path, why: "expected a string or an array of content blocks" };
  for (let i = 0; i < content.length; i++) {
    const problem = blockProblem(content[i], [...path, i]);
    if (problem) return problem;
  }
  return null;
}

function blockProblem(block: unknown, path: (string | number)[]): Problem | null {
  if (!isRecord(block)) return { path, why: "expected an object (a content block with a type)" };
  if (block.type === undefined) return { path: [...path, "type"], why: "missing", missing: true };
  if (typeof block.type !== "string" || block.type.length === 0 || block.type.length > 200) {
    return { path: [...path, "type"], why: "expected a string of 1 to 200 characters" };
  }
  switch (block.type) {
    case "text":
      return fieldProblem(block, "text", "string", path);
    case "image":
      return imageSourceProblem(block.source, [...path, "source"]);
    case "tool_use":
      return (
        fieldProblem(block, "id", "string", path) ??
        fieldProblem(block, "name", "string", path) ??
        fieldProblem(block, "input", "object", path)
      );
    case "tool_result": {
      const problem = fieldProblem(block, "tool_use_id", "string", path);
      if (problem) return problem;
      if (block.is_error != null && typeof block.is_error !== "boolean") {
        return { path: [...path, "is_error"], why: "expected a boolean" };
      }
      if (block.content == null) return null;
      return contentProblem(block.content, [...path, "content"]);
    }
    case "thinking":
      return fieldProblem(block, "thinking", "string", path);
    case "redacted_thinking":
      return fieldProblem(block, "data", "string", path);
    default:
      return null; // other block types pass; the translation refuses what it cannot serve
  }
}

function imageSourceProblem(source: unknown, path: (string | number)[]): Problem | null {
  if (source === undefined) return { path, why: "missing", missing: true };
  if (!isRecord(source)) return { path, why: "expected an object" };
  if (source.type === undefined) return { path: [...path, "type"], why: "missing", missing: true };
  if (typeof source.type !== "string" || !IMAGE_SOURCES.includes(source.type)) {
    return { path: [...path, "type"], why: `must be one of ${IMAGE_SOURCES.map((s) => `'${s}'`).join(", ")}` };
  }
  if (source.type === "base64") {
    return fieldProblem(source, "media_type", "string", path) ?? fieldProblem(source, "data", "string", path);
  }
  if (source.type === "url") return fieldProblem(source, "url", "string", path);
  return fieldProblem(source, "file_id", "string", path);
}

function fieldProblem(
  record: Record<string, unknown>,
  field: string,
  expected: "string" | "object",
  path: (string | number)[],
): Problem | null {
  const value = record[field];
  if (value === undefined) return { path: [...path, field], why: "missing", missing: true };
  const ok = expected === "string" ? typeof value === "string" : isRecord(value);
  return ok ? null : { path: [...path, field], why: `expected ${expected === "string" ? "a string" : "an object"}` };
}
