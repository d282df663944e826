import { z } from "zod";
import { gatewayConfig } from "./config";
import { boundedString, integerBetween, invalidValue, isRecord, numberBetween, parseWith } from "./request-validation";

// The /v1/chat/completions body. Strict on what we route and bill on, and on the types and ranges
// of OpenAI's documented fields (a wrong one is our 400, never an upstream's); pass-through for
// everything else (unknown top-level and message fields, tool schemas, provider extras …) so new
// OpenAI fields keep working. Which fields reach an upstream is decided later, per provider.
// The JSON is already known to be finite and shallow (read-body.ts); counts are checked before
// zod walks an array, so an oversized one is refused without being validated item by item.

export interface ChatBodyLimits {
  maxMessages: number;
  maxTools: number;
}

/** The largest max_tokens we accept; the model's own cap is applied when the output cap is chosen. */
export const MAX_OUTPUT_TOKENS_PARAM = 2 ** 31 - 1;
const MAX_STOP_SEQUENCES = 4;
const MAX_LOGIT_BIAS_ENTRIES = 300;
const MAX_USER_CHARS = 512;
const MAX_TOOL_NAME_CHARS = 256;
const ROLES = ["system", "developer", "user", "assistant", "tool", "function"];

/** A content part: an object with a `type`; the rest passes through. */
export interface ContentPart {
  type: string;
  [field: string]: unknown;
}

// Checked by hand rather than as zod objects: a 20 MiB body can hold 700,000 tiny parts, and zod
// would copy every one of them (a second or more on the event loop); this loop only reads them.
const contentSchema = z.custom<string | null | ContentPart[] | undefined>().superRefine((content, context) => {
  if (content === undefined || content === null || typeof content === "string") return;
  if (!Array.isArray(content)) {
    context.addIssue({ code: "custom", message: "expected a string, null or an array of content parts" });
    return;
  }
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const problem = !isRecord(part)
      ? { path: [i], message: "expected an object (a content part with a type)" }
      : part.type === undefined
        ? { path: [i, "type"], message: "missing", params: { missing: true } }
        : typeof part.type !== "string" || part.type.length === 0 || part.type.length > 200
          ? { path: [i, "type"], message: "expected a string of 1 to 200 characters" }
          : null;
    if (problem) {
      context.addIssue({ code: "custom", ...problem });
      return;
    }
  }
});

const messageSchema = z.looseObject({
  role: z.string().refine((role) => ROLES.includes(role), `must be one of ${ROLES.map((r) => `'${r}'`).join(", ")}`),
  content: contentSchema.optional(),
  name: z.string().nullish(),
  tool_call_id: z.string().nullish(),
  tool_calls: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        function: z.looseObject({ name: z.string(), arguments: z.string() }).optional(),
      }),
    )
    .nullish(),
});

const functionSchema = z.looseObject({
  name: boundedString(MAX_TOOL_NAME_CHARS, 1),
  description: z.string().nullish(),
  parameters: z.looseObject({}).nullish(),
  strict: z.boolean().nullish(),
});

const toolSchema = z
  .looseObject({ type: boundedString(200, 1), function: functionSchema.optional() })
  .superRefine((tool, context) => {
    if (tool.type === "function" && tool.function === undefined) {
      context.addIssue({ code: "custom", path: ["function"], message: "missing", params: { missing: true } });
    }
  });

const logitBiasSchema = z
  .record(z.string(), numberBetween(-100, 100))
  .refine(
    (bias) => Object.keys(bias).length <= MAX_LOGIT_BIAS_ENTRIES,
    `must have at most ${MAX_LOGIT_BIAS_ENTRIES} entries`,
  );

function chatRequestSchema(limits: ChatBodyLimits) {
  return z.looseObject({
    model: z.string().min(1).max(200),
    messages: z
      .array(messageSchema)
      .min(1, "messages must contain at least one message")
      .max(limits.maxMessages, `must have at most ${limits.maxMessages} messages`),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
    max_tokens: integerBetween(1, MAX_OUTPUT_TOKENS_PARAM).nullish(),
    max_completion_tokens: integerBetween(1, MAX_OUTPUT_TOKENS_PARAM).nullish(),
    n: integerBetween(1, 128).nullish(),
    temperature: numberBetween(0, 2).nullish(),
    top_p: numberBetween(0, 1).nullish(),
    presence_penalty: numberBetween(-2, 2).nullish(),
    frequency_penalty: numberBetween(-2, 2).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: integerBetween(0, 20).nullish(),
    seed: z.number().int("must be an integer between -(2^53 - 1) and 2^53 - 1").nullish(),
    stop: z
      .union(
        [z.string(), z.array(z.string()).max(MAX_STOP_SEQUENCES, `must have at most ${MAX_STOP_SEQUENCES} items`)],
        {
          error: `expected a string or an array of at most ${MAX_STOP_SEQUENCES} strings`,
        },
      )
      .nullish(),
    logit_bias: logitBiasSchema.nullish(),
    tools: z.array(toolSchema).max(limits.maxTools, `must have at most ${limits.maxTools} tools`).nullish(),
    tool_choice: z
      .union([z.string(), z.looseObject({ type: z.string() })], { error: "expected a string or an object" })
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    functions: z.array(functionSchema).max(limits.maxTools, `must have at most ${limits.maxTools} functions`).nullish(),
    function_call: z
      .union([z.string(), z.looseObject({ name: z.string() })], { error: "expected a string or an object" })
      .nullish(),
    response_format: z.looseObject({ type: boundedString(200, 1) }).nullish(),
    user: boundedString(MAX_USER_CHARS).nullish(),
  });
}

export type ChatRequest = z.infer<ReturnType<typeof chatRequestSchema>>;

const schemas = new Map<string, ReturnType<typeof chatRequestSchema>>();

export function chatBodyLimits(): ChatBodyLimits {
  const config = gatewayConfig();
  return { maxMessages: config.TOKENFLOW_MAX_MESSAGES, maxTools: config.TOKENFLOW_MAX_TOOLS };
}

export function parseChatRequest(body: unknown, limits: ChatBodyLimits = chatBodyLimits()): ChatRequest {
  if (isRecord(body)) {
    // Cheap count checks first: zod would validate every item of a 1,000,000-message array before its max().
    refuseLongArray(body, "messages", limits.maxMessages, "messages");
    refuseLongArray(body, "tools", limits.maxTools, "tools");
    refuseLongArray(body, "functions", limits.maxTools, "functions");
  }
  const key = `${limits.maxMessages}:${limits.maxTools}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = chatRequestSchema(limits)));
  return parseWith(schema, body);
}

function refuseLongArray(body: Record<string, unknown>, field: string, max: number, noun: string) {
  const value = body[field];
  if (Array.isArray(value) && value.length > max) throw invalidValue(field, `must have at most ${max} ${noun}`);
}

// ---------------------------------------------------------------------------------------------
// /v1/embeddings

/** OpenAI's limit on the number of inputs in one embeddings request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Characters per input string; far above any embedding model's window, so only absurd inputs are refused. */
export const MAX_EMBEDDING_INPUT_CHARS = 1 << 20;
export const MAX_EMBEDDING_DIMENSIONS = 65_536;

type EmbeddingInput = string | string[] | number[] | number[][];

// Checked by hand rather than as a zod union: one tight loop over possibly millions of token ids,
// and an error that names the exact item ('input.3.17') instead of "none of four shapes matched".
const embeddingInputSchema = z.custom<EmbeddingInput>().superRefine((input, context) => {
  const problem = embeddingInputProblem(input);
  if (problem) {
    context.addIssue({
      code: "custom",
      path: problem.path,
      message: problem.why,
      params: { missing: problem.why === "missing" },
    });
  }
});

const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1).max(200),
  input: embeddingInputSchema,
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: integerBetween(1, MAX_EMBEDDING_DIMENSIONS).nullish(),
  user: boundedString(MAX_USER_CHARS).nullish(),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  return parseWith(embeddingsRequestSchema, body);
}

interface InputProblem {
  path: (string | number)[];
  why: string;
}

const INPUT_SHAPES = "expected a string, an array of strings, an array of token ids or an array of token-id arrays";
const TOKEN_ID = "must be a token id (an integer between 0 and 2^53 - 1)";

function embeddingInputProblem(input: unknown): InputProblem | null {
  if (input === undefined) return { path: [], why: "missing" };
  if (typeof input === "string") return stringProblem(input, []);
  if (!Array.isArray(input)) return { path: [], why: INPUT_SHAPES };
  if (input.length === 0) return { path: [], why: "must not be empty" };
  if (input.length > MAX_EMBEDDING_INPUTS) return { path: [], why: `must have at most ${MAX_EMBEDDING_INPUTS} items` };
  const first = input[0];
  if (typeof first === "number") return tokenIdsProblem(input, []);
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    const problem =
      typeof first === "string"
        ? typeof item === "string"
          ? stringProblem(item, [i])
          : { path: [i], why: "expected a string, like the other items" }
        : Array.isArray(item)
          ? item.length === 0
            ? { path: [i], why: "must not be empty" }
            : tokenIdsProblem(item, [i])
          : { path: [i], why: i === 0 ? INPUT_SHAPES : "expected an array of token ids, like the other items" };
    if (problem) return problem;
  }
  return null;
}

function stringProblem(text: string, path: (string | number)[]): InputProblem | null {
  return text.length > MAX_EMBEDDING_INPUT_CHARS
    ? { path, why: `must have at most ${MAX_EMBEDDING_INPUT_CHARS} characters` }
    : null;
}

function tokenIdsProblem(ids: unknown[], path: (string | number)[]): InputProblem | null {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(typeof id === "number" && Number.isSafeInteger(id) && id >= 0)) return { path: [...path, i], why: TOKEN_ID };
  }
  return null;
}
