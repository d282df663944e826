import { toGatewayError } from "@/lib/gateway/errors";
import { sseEvent } from "./sse";
import { GatewayResponse } from "../../http";
import { logger } from "@/lib/log";

const log = logger("gateway");

// The /v1/messages error surface: Anthropic's envelope
// {"type":"error","error":{"type","message"},"request_id"} (https://docs.anthropic.com/en/api/errors)
// around the same GatewayError, status, message and headers as the OpenAI surface (errors.ts), so
// both surfaces fail alike and only the shape differs. The error type follows the status, as
// Anthropic's table does.

const TYPES_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  // Our 503s (no_channel, service_unavailable) mean "no capacity right now, retry later", which is
  // what Anthropic's overloaded_error says. The status stays 503: the SDKs retry any 5xx, and 529
  // is Anthropic's own, not a status a gateway should invent.
  503: "overloaded_error",
  529: "overloaded_error",
};

export function anthropicErrorType(status: number): string {
  const type = TYPES_BY_STATUS[status];
  if (type) return type;
  // "We may also use this error type for other 4XX status codes" (the errors page); 502 (upstream
  // failure, timeout) and other 5xx are api_error.
  return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
}

export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}

export function anthropicErrorBody(error: unknown, requestId?: string): AnthropicErrorBody {
  const err = toGatewayError(error);
  return {
    type: "error",
    error: { type: anthropicErrorType(err.status), message: err.message },
    ...(requestId !== undefined ? { request_id: requestId } : {}),
  };
}

export function anthropicErrorResponse(error: unknown, requestId: string): GatewayResponse {
  const err = toGatewayError(error);
  // The client gets a generic message; the cause goes to the log with the request id.
  if (err.kind === "internal_error") log.error({ err: err.cause ?? err, requestId }, "internal error");
  return GatewayResponse.json(anthropicErrorBody(err, requestId), {
    status: err.status,
    // retry-after, retry-after-ms, x-should-retry …; and Anthropic's own header name for the id, which
    // its SDKs expose as `_request_id` / `error.requestID`.
    headers: { ...err.headers, "x-request-id": requestId, "request-id": requestId },
  });
}

/** The SSE event sent when a stream fails after its first byte (the status is already 200). */
export function anthropicErrorEvent(error: unknown): string {
  return sseEvent("error", { error: anthropicErrorBody(error).error });
}
