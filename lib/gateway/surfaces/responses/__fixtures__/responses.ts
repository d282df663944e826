// Shared fixtures of the /v1/responses codec tests (not used by production code).
import type {
  CanonicalDelta,
  CanonicalFinishReason,
  CanonicalMessage,
  CanonicalUsage,
  ChatChunk,
  ChatCompletion,
} from "@/lib/gateway/canonical";
import type { ChatBodyLimits } from "@/lib/gateway/chat-request";
import { GatewayError } from "@/lib/gateway/errors";
import { parseResponsesRequest, type ResponsesRequest } from "../request";

export const LIMITS: ChatBodyLimits = { maxMessages: 100, maxTools: 16 };

export function request(body: Record<string, unknown>): ResponsesRequest {
  return parseResponsesRequest({ model: "deepseek-v3", input: "Hi", ...body }, LIMITS);
}

export function context(req: ResponsesRequest = request({})) {
  return { responseId: "resp_abc", createdAt: 1_700_000_000, publicModel: "deepseek-v3", request: req };
}

/** Runs `fn` and returns the GatewayError it throws (fails the test if it throws none). */
export function rejection(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected a GatewayError");
}

export const USAGE: CanonicalUsage = {
  prompt_tokens: 20,
  completion_tokens: 7,
  total_tokens: 27,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 3 },
};

export function completion(
  message: Partial<CanonicalMessage>,
  finishReason: CanonicalFinishReason = "stop",
  usage: CanonicalUsage | null = USAGE,
): ChatCompletion {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "upstream-model",
    choices: [{ index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: finishReason }],
    usage,
  };
}

export function chunk(delta: CanonicalDelta, finishReason: CanonicalFinishReason | null = null): ChatChunk {
  return {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "upstream-model",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

export interface SseEvent {
  event: string;
  data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Splits SSE text into events, checking the framing (event name = data.type). */
export function parseSse(text: string): SseEvent[] {
  if (text === "") return [];
  if (!text.endsWith("\n\n")) throw new Error("SSE text must end with a blank line");
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((frame) => {
      const lines = frame.split("\n");
      if (lines.length !== 2 || !lines[0].startsWith("event: ") || !lines[1].startsWith("data: ")) {
        throw new Error(`unexpected SSE frame: ${frame}`);
      }
      const event = lines[0].slice("event: ".length);
      const data = JSON.parse(lines[1].slice("data: ".length));
      if (data.type !== event) throw new Error(`event ${event} carries type ${data.type}`);
      return { event, data };
    });
}
