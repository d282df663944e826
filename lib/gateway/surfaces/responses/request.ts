import { z } from "zod";
import { chatBodyLimits, MAX_OUTPUT_TOKENS_PARAM, type ChatBodyLimits } from "@/lib/gateway/chat-request";
import { GatewayError } from "@/lib/gateway/errors";
import {
  boundedString,
  integerBetween,
  invalidValue,
  isRecord,
  numberBetween,
  parseWith,
} from "@/lib/gateway/request-validation";
import { carryUnknownFields } from "../extra-fields";
import { inputIssue, inputToMessages, type ChatMessage } from "./input";
import type { FunctionTool, InputItem, TextFormat, ToolChoice } from "./types";

// The POST /v1/responses body (OpenAI's Responses API), served for every model by translating it
// into a canonical chat request (canonical.ts) and the answer back (response.ts, stream.ts).
// TokenFlow is stateless: nothing is stored, so everything that refers to stored state
// (previous_response_id, conversation, prompt templates, item references, background runs) is a
// clear 400 and `store` is answered as false. Built-in tools (web search, file search, computer
// use …) run inside OpenAI and are refused; function tools work with every model.
//
// Strict on types and ranges (a wrong one is our 400, not an upstream's); unknown fields are
// accepted and ignored, so new SDK fields do not break requests.

const MAX_USER_CHARS = 512;
const MAX_TOOL_NAME_CHARS = 256;

function notStored(field: string, what: string): GatewayError {
  return new GatewayError(
    "invalid_request",
    `${field} is not supported: TokenFlow does not store ${what}; send the full conversation in input.`,
    { param: field },
  );
}

const inputSchema = z.custom<string | InputItem[]>().superRefine((input, context) => {
  const issue = inputIssue(input);
  if (issue)
    context.addIssue({ code: "custom", path: issue.path, message: issue.message, params: { missing: issue.missing } });
});

const functionToolSchema = z.looseObject({
  type: z.literal("function"),
  name: boundedString(MAX_TOOL_NAME_CHARS, 1),
  description: z.string().nullish(),
  parameters: z.looseObject({}).nullish(),
  strict: z.boolean().nullish(),
});

// The type is checked first, so a built-in tool gets "not supported" rather than "expected 'function'".
const toolTypeSchema = z.unknown().superRefine((type, context) => {
  if (type === undefined) context.addIssue({ code: "custom", message: "missing", params: { missing: true } });
  else if (type !== "function") {
    const what = typeof type === "string" ? `'${type}' tools are` : "this tool type is";
    context.addIssue({
      code: "custom",
      message: `${what} not supported through TokenFlow; only function tools (type 'function') are`,
    });
  }
});

const toolSchema = z.looseObject({ type: toolTypeSchema }).pipe(functionToolSchema);

const toolChoiceSchema = z.custom<ToolChoice>().superRefine((choice, context) => {
  if (choice === "auto" || choice === "none" || choice === "required") return;
  if (typeof choice === "string") {
    context.addIssue({ code: "custom", message: "must be one of 'auto', 'none', 'required' or a function choice" });
    return;
  }
  if (!isRecord(choice)) {
    context.addIssue({ code: "custom", message: "expected a string or an object" });
    return;
  }
  if (choice.type !== "function") {
    const what = typeof choice.type === "string" ? `'${choice.type}'` : "this";
    context.addIssue({
      code: "custom",
      path: ["type"],
      message: `${what} tool choice is not supported through TokenFlow; use 'auto', 'none', 'required' or {"type": "function", "name": …}`,
    });
    return;
  }
  if (typeof choice.name !== "string" || choice.name.length === 0) {
    context.addIssue({
      code: "custom",
      path: ["name"],
      message: choice.name === undefined ? "missing" : "expected a non-empty string",
      params: { missing: choice.name === undefined },
    });
  }
});

const textFormatSchema = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({
      type: z.literal("json_schema"),
      name: boundedString(64, 1),
      schema: z.looseObject({}),
      strict: z.boolean().nullish(),
      description: z.string().nullish(),
    }),
  ],
  { error: "must be one of 'text', 'json_object', 'json_schema'" },
);

function responsesRequestSchema(limits: ChatBodyLimits) {
  return z.looseObject({
    model: z.string().min(1).max(200),
    input: inputSchema,
    instructions: z.string().nullish(),
    tools: z.array(toolSchema).max(limits.maxTools, `must have at most ${limits.maxTools} tools`).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    max_output_tokens: integerBetween(1, MAX_OUTPUT_TOKENS_PARAM).nullish(),
    temperature: numberBetween(0, 2).nullish(),
    top_p: numberBetween(0, 1).nullish(),
    text: z
      .looseObject({
        format: textFormatSchema.nullish(),
        verbosity: z.enum(["low", "medium", "high"]).nullish(),
      })
      .nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({}).nullish(),
    store: z.boolean().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    user: boundedString(MAX_USER_CHARS).nullish(),
    safety_identifier: boundedString(MAX_USER_CHARS).nullish(),
    prompt_cache_key: boundedString(1024).nullish(),
    reasoning: z
      .looseObject({
        effort: boundedString(64, 1).nullish(),
        summary: z.enum(["auto", "concise", "detailed"]).nullish(),
      })
      .nullish(),
    truncation: z.enum(["auto", "disabled"]).nullish(),
    include: z.array(z.string()).nullish(),
    background: z.boolean().nullish(),
  });
}

/** A validated /v1/responses body (unknown fields are kept, and ignored by the translation). The
 * schema's inferred type is checked against it where parseResponsesRequest returns. */
export interface ResponsesRequest {
  model: string;
  input: string | InputItem[];
  instructions?: string | null;
  tools?: FunctionTool[] | null;
  tool_choice?: ToolChoice | null;
  parallel_tool_calls?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  text?: { format?: TextFormat | null; verbosity?: "low" | "medium" | "high" | null; [extra: string]: unknown } | null;
  stream?: boolean | null;
  stream_options?: Record<string, unknown> | null;
  store?: boolean | null;
  metadata?: Record<string, string> | null;
  user?: string | null;
  safety_identifier?: string | null;
  prompt_cache_key?: string | null;
  reasoning?: {
    effort?: string | null;
    summary?: "auto" | "concise" | "detailed" | null;
    [extra: string]: unknown;
  } | null;
  truncation?: "auto" | "disabled" | null;
  include?: string[] | null;
  background?: boolean | null;
  [extra: string]: unknown;
}

const schemas = new Map<string, ReturnType<typeof responsesRequestSchema>>();

export function parseResponsesRequest(body: unknown, limits: ChatBodyLimits = chatBodyLimits()): ResponsesRequest {
  if (isRecord(body)) {
    // Stored state first: these change what the request means, so they are refused before anything else.
    if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
      throw notStored("previous_response_id", "responses");
    }
    if (body.conversation !== undefined && body.conversation !== null) throw notStored("conversation", "conversations");
    if (body.prompt !== undefined && body.prompt !== null) {
      throw new GatewayError(
        "invalid_request",
        "prompt is not supported: TokenFlow does not store prompt templates; send instructions and input instead.",
        { param: "prompt" },
      );
    }
    if (body.background === true) {
      throw new GatewayError(
        "invalid_request",
        "background is not supported: TokenFlow does not store responses; use stream: true for long generations.",
        { param: "background" },
      );
    }
    // Cheap count checks before zod walks an array (see parseChatRequest).
    // Each item is at most one chat message, and instructions one more.
    const maxItems = limits.maxMessages - (typeof body.instructions === "string" && body.instructions ? 1 : 0);
    if (Array.isArray(body.input) && body.input.length > maxItems) {
      throw invalidValue("input", `must have at most ${maxItems} items`);
    }
    if (Array.isArray(body.tools) && body.tools.length > limits.maxTools) {
      throw invalidValue("tools", `must have at most ${limits.maxTools} tools`);
    }
  }
  const key = `${limits.maxMessages}:${limits.maxTools}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = responsesRequestSchema(limits)));
  return parseWith(schema, body);
}

// ---------------------------------------------------------------------------------------------
// To the canonical chat request

/**
 * The canonical chat request body for a validated Responses request: a plain object that the
 * route serialises and validates with parseChatRequest like any /v1/chat/completions body.
 */
export function responsesToChatRequest(req: ResponsesRequest): Record<string, unknown> {
  const messages: ChatMessage[] = [];
  // Instructions are the system prompt of this one request (Responses never carries them over).
  if (req.instructions) messages.push({ role: "system", content: req.instructions });
  messages.push(...inputToMessages(req.input));

  const chat: Record<string, unknown> = { model: req.model, messages };
  if (req.tools && req.tools.length > 0) chat.tools = req.tools.map(toChatTool);
  if (req.tool_choice != null) {
    chat.tool_choice =
      typeof req.tool_choice === "string"
        ? req.tool_choice
        : { type: "function", function: { name: req.tool_choice.name } };
  }
  if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  // max_output_tokens caps visible and reasoning tokens together, as max_completion_tokens does;
  // it is sent as max_tokens because the gateway picks the field each upstream understands
  // (and applies the model's own cap) from either one.
  if (req.max_output_tokens != null) chat.max_tokens = req.max_output_tokens;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  const format = req.text?.format;
  if (format?.type === "json_object") chat.response_format = { type: "json_object" };
  if (format?.type === "json_schema") {
    chat.response_format = {
      type: "json_schema",
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(format.strict != null ? { strict: format.strict } : {}),
        ...(format.description != null ? { description: format.description } : {}),
      },
    };
  }
  if (req.text?.verbosity != null) chat.verbosity = req.text.verbosity;
  // reasoning.summary has no chat equivalent: models that reason return their reasoning text
  // (reasoning_content), which is answered as a reasoning item's summary.
  if (req.reasoning?.effort != null) chat.reasoning_effort = req.reasoning.effort;
  if (req.user != null) chat.user = req.user;
  if (req.safety_identifier != null) chat.safety_identifier = req.safety_identifier;
  if (req.prompt_cache_key != null) chat.prompt_cache_key = req.prompt_cache_key;
  if (req.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true }; // the usage of the final chunk is what we bill and report
  }
  // Dropped on purpose: store (nothing is stored; the answer says store: false), metadata (only
  // echoed in the answer), include (no encrypted reasoning, file-search results … to include),
  // truncation (the input is sent whole; too long an input is the upstream's context error),
  // stream_options (its only option, include_obfuscation, concerns OpenAI's own transport).
  // Unknown fields travel on, as on /v1/chat/completions (extra-fields.ts).
  carryUnknownFields(req as unknown as Record<string, unknown>, chat, RESPONSES_FIELDS);
  return chat;
}

/** The Responses API's own top-level fields (https://platform.openai.com/docs/api-reference/responses/create). */
const RESPONSES_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_output_tokens",
  "max_tool_calls",
  "temperature",
  "top_p",
  "top_logprobs",
  "text",
  "stream",
  "stream_options",
  "store",
  "metadata",
  "user",
  "safety_identifier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "reasoning",
  "truncation",
  "include",
  "previous_response_id",
  "background",
  "conversation",
  "prompt",
  "service_tier",
]);

function toChatTool(tool: FunctionTool): Record<string, unknown> {
  return {
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description != null ? { description: tool.description } : {}),
      // Responses requires parameters but allows null (no arguments); chat's equivalent is an empty object schema.
      parameters: tool.parameters ?? { type: "object", properties: {} },
      // Passed only when given: OpenAI's Responses defaults strict to true, but forcing strict
      // mode onto every upstream would refuse schemas that are not strict-compatible.
      ...(tool.strict != null ? { strict: tool.strict } : {}),
    },
  };
}
