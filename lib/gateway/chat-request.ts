import { z } from "zod";
import { GatewayError } from "./errors";

// Strict on what we route and bill on, pass-through for everything else (tools, response_format,
// temperature, seed, logprobs, reasoning options, provider extras …) so new OpenAI fields keep working.
const messageSchema = z.looseObject({
  role: z.string().min(1),
});

const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(messageSchema).min(1, "messages must contain at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1).max(200),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1),
  ]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().positive().nullish(),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

export function parseChatRequest(body: unknown): ChatRequest {
  return parseWith(chatRequestSchema, body);
}

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  return parseWith(embeddingsRequestSchema, body);
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("invalid_request", "The request body must be a JSON object.");
  }
  const result = schema.safeParse(body, { reportInput: true }); // tells a missing field from a wrong one
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.join(".") || null;
  const message =
    issue.code === "invalid_type" && issue.input === undefined
      ? `Missing required parameter: '${param}'.`
      : `Invalid value for '${param}': ${issue.message}.`;
  throw new GatewayError("invalid_request", message, { param });
}
