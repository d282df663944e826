import { z } from "zod";
import { ApiError, apiErrorBody, validationError } from "@/lib/api/errors";
import { isSameOriginMutation } from "@/lib/auth/same-origin";
import { authenticateKeyById } from "@/lib/gateway/auth";
import { handleChatCompletions } from "@/lib/gateway/chat-completions";
import { newRequestId } from "@/lib/http/request-id";
import { tenantOfRequest } from "@/lib/tenancy/request-tenant";
import { GatewayResponse, type GatewayRequest, type HeaderReader } from "@/lib/gateway/http";
import { logger } from "@/lib/log";

const log = logger("playground");

// POST /api/playground/chat: a signed-in member chats through one of the active organization's keys.
// Keys are stored hashed, so the server cannot call /v1 with the secret; instead the request enters
// the same billed pipeline as /v1/chat/completions at the point where a key becomes a key context
// (limits, hold, relay, settlement and receipt all unchanged), and answers the same OpenAI SSE stream.
// Our own server routes it next to /v1 (lib/server/http-server.ts), so it shares the gateway's
// process state (rate limits, circuit breakers, settlement journal) and is cut and billed on shutdown.

export const PLAYGROUND_CHAT_PATH = "/api/playground/chat";

const MAX_BODY_BYTES = 512 * 1024;

export const playgroundChatSchema = z
  .object({
    keyId: z.string().min(1).max(200),
    model: z.string().min(1).max(200),
    system: z.string().max(20_000).optional(),
    messages: z
      .array(z.object({ role: z.enum(["user", "assistant"]), content: z.string().min(1).max(100_000) }).strict())
      .min(1)
      .max(100),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).max(32_768).optional(),
  })
  .strict();

export type PlaygroundChatInput = z.infer<typeof playgroundChatSchema>;

/** The OpenAI request the playground sends on the member's behalf (always streamed, with usage). */
export function toChatCompletionBody(input: PlaygroundChatInput): Record<string, unknown> {
  return {
    model: input.model,
    messages: [...(input.system?.trim() ? [{ role: "system", content: input.system }] : []), ...input.messages],
    stream: true,
    stream_options: { include_usage: true },
    ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
    ...(input.maxTokens === undefined ? {} : { max_tokens: input.maxTokens }),
  };
}

export async function handlePlaygroundChat(request: GatewayRequest): Promise<GatewayResponse> {
  const requestId = newRequestId();
  try {
    if (request.method !== "POST") throw new ApiError("bad_request", "Use POST.");
    const tenant = await tenantOfRequest(request.headers);
    if (!tenant) throw new ApiError("unauthorized", "Sign in to use the playground.");
    if (!isSameOriginMutation(request)) throw new ApiError("forbidden", "Cross-site request refused.");
    const input = await readInput(request);
    const organizationId = tenant.organization.id;
    // Members use the organization's keys, as they would in their own code: any active key of the
    // active organization; a key of another organization answers 404 (authenticateKeyById).
    const body = Buffer.from(JSON.stringify(toChatCompletionBody(input)));
    const chat: GatewayRequest = {
      method: "POST",
      headers: withoutCookies(request.headers),
      signal: request.signal,
      readBody: async (maxBytes) => (body.byteLength > maxBytes ? null : body),
    };
    const response = await handleChatCompletions(chat, (h) => authenticateKeyById(organizationId, input.keyId, h));
    response.headers["cache-control"] = "no-store";
    response.headers["x-content-type-options"] = "nosniff";
    return response;
  } catch (err) {
    if (!(err instanceof ApiError)) log.error({ err, requestId }, "playground chat failed");
    const status = err instanceof ApiError ? err.status : 500;
    return GatewayResponse.json(apiErrorBody(err, requestId), {
      status,
      headers: { "x-request-id": requestId, "cache-control": "no-store", "x-content-type-options": "nosniff" },
    });
  }
}

/** The member's request headers as the gateway sees them: the session cookie stays out of the pipeline. */
function withoutCookies(headers: HeaderReader): HeaderReader {
  return { get: (name) => (name.toLowerCase() === "cookie" ? null : headers.get(name)) };
}

async function readInput(request: GatewayRequest): Promise<PlaygroundChatInput> {
  const bytes = await request.readBody(MAX_BODY_BYTES);
  const text = bytes?.toString("utf8") ?? null;
  if (text === null) throw new ApiError("payload_too_large", "The conversation is too long for the playground.");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError("bad_request", "The body must be JSON.");
  }
  const parsed = playgroundChatSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error.issues);
  return parsed.data;
}
