// The /v1 error surface (DESIGN §4): OpenAI's envelope {"error":{message,type,param,code}} with our
// statuses. Every status, type and code comes from the single ERRORS table so routes cannot drift.
// Messages are ours: upstream bodies, hosts and secrets never reach the client, and unknown
// exceptions become a generic internal_error (the original stays on `cause`, for logs only).
import { GatewayResponse } from "./http";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { logger } from "@/lib/log";

const log = logger("gateway");

interface ErrorSpec {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const ERRORS = {
  invalid_request: {
    status: 400,
    type: "invalid_request_error",
    code: null,
    message: "Invalid request.",
  },
  invalid_api_key: {
    status: 401,
    type: "invalid_request_error",
    code: "invalid_api_key",
    message: "Incorrect API key provided.",
  },
  // x-should-retry: false stops the OpenAI SDKs from retrying a request that cannot succeed.
  insufficient_quota: {
    status: 402,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: "You exceeded your current quota, please top up your balance.",
    headers: { "x-should-retry": "false" },
  },
  model_not_allowed: {
    status: 403,
    type: "permission_error",
    code: "model_not_allowed",
    message: "This API key is not allowed to use this model.",
  },
  ip_not_allowed: {
    status: 403,
    type: "permission_error",
    code: "ip_not_allowed",
    message: "This API key is not allowed to be used from this IP address.",
  },
  model_not_found: {
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    message: "The model does not exist or you do not have access to it.",
  },
  not_found: {
    status: 404,
    type: "invalid_request_error",
    code: "unknown_url",
    message: "Unknown API route.",
  },
  method_not_allowed: {
    status: 405,
    type: "invalid_request_error",
    code: "method_not_allowed",
    message: "Method not allowed.",
  },
  request_too_large: {
    status: 413,
    type: "invalid_request_error",
    code: "request_too_large",
    message: "Request body is too large.",
  },
  // OpenAI answers 429s with type "requests" (or "tokens" for TPM limits) and code rate_limit_exceeded.
  rate_limit_exceeded: {
    status: 429,
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit exceeded.",
  },
  // 5xx are only used when nothing was charged: the SDKs retry them (DESIGN §3).
  internal_error: {
    status: 500,
    type: "api_error",
    code: "internal_error",
    message: "The server had an error while processing your request.",
  },
  upstream_error: {
    status: 502,
    type: "api_error",
    code: "upstream_error",
    message: "The upstream model provider failed to process the request. Please retry.",
  },
  timeout: {
    status: 502,
    type: "api_error",
    code: "timeout",
    message: "The upstream model provider did not respond in time. Please retry.",
  },
  no_channel: {
    status: 503,
    type: "api_error",
    code: "no_channel",
    message: "No upstream is currently available for this model. Please retry later.",
  },
  service_unavailable: {
    status: 503,
    type: "api_error",
    code: "service_unavailable",
    message: "The service is temporarily unavailable. Please retry later.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorKind = keyof typeof ERRORS;

export interface GatewayErrorOptions {
  param?: string | null;
  /** Overrides the table's code, e.g. "context_length_exceeded" on an invalid_request. */
  code?: string | null;
  /** Overrides the table's type, e.g. "tokens" for a tokens-per-minute 429. */
  type?: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers?: Readonly<Record<string, string>>;

  constructor(kind: ErrorKind, message?: string, options: GatewayErrorOptions = {}) {
    const spec: ErrorSpec = ERRORS[kind];
    super(message ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.kind = kind;
    this.status = spec.status;
    this.type = options.type ?? spec.type;
    this.code = options.code !== undefined ? options.code : spec.code;
    this.param = options.param ?? null;
    const headers = { ...spec.headers, ...options.headers };
    if (Object.keys(headers).length > 0) this.headers = headers;
  }
}

/**
 * 429 in OpenAI's style: "Rate limit exceeded. Try again in 1.5s", Retry-After (whole seconds) and
 * retry-after-ms (which the OpenAI SDKs prefer). Pass x-ratelimit-* headers through `headers`.
 */
export function rateLimitExceeded(
  retryAfterMs: number,
  options: {
    limitType?: "requests" | "tokens";
    headers?: Record<string, string>;
    /** What was exceeded, e.g. "Rate limit exceeded for this API key: 60 requests per minute." */
    reason?: string;
  } = {},
): GatewayError {
  const ms = Math.max(0, Math.ceil(Number.isFinite(retryAfterMs) ? retryAfterMs : 1000));
  const seconds = Math.ceil(ms / 100) / 10; // one decimal, rounded up so clients never retry early
  return new GatewayError(
    "rate_limit_exceeded",
    `${options.reason ?? "Rate limit exceeded."} Try again in ${seconds}s.`,
    {
      type: options.limitType ?? "requests",
      headers: {
        "retry-after": String(Math.max(1, Math.ceil(ms / 1000))),
        "retry-after-ms": String(ms),
        ...options.headers,
      },
    },
  );
}

/**
 * Unknown errors become a generic internal_error that never repeats the original message; a
 * database outage becomes a 503 (nothing was charged, retrying later is right).
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (isDatabaseUnavailable(error)) {
    return new GatewayError("service_unavailable", "The service is temporarily unavailable. Please retry shortly.", {
      cause: error,
    });
  }
  return new GatewayError("internal_error", undefined, { cause: error });
}

export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

export function errorBody(error: unknown): ErrorBody {
  const err = toGatewayError(error);
  return {
    error: {
      message: err.message,
      type: err.type,
      param: err.param,
      code: err.code,
    },
  };
}

export function errorResponse(error: unknown, requestId: string): GatewayResponse {
  const err = toGatewayError(error);
  // The client gets a generic message; the cause goes to the log with the request id.
  if (err.kind === "internal_error") log.error({ err: err.cause ?? err, requestId }, "internal error");
  return GatewayResponse.json(errorBody(err), {
    status: err.status,
    headers: { ...err.headers, "x-request-id": requestId },
  });
}

/** The SSE frame sent when a stream fails after its first byte (the status is already 200). */
export function sseErrorEvent(error: unknown): string {
  return `data: ${JSON.stringify(errorBody(error))}\n\n`;
}
