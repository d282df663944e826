import { GatewayError } from "./errors";

// What an upstream attempt's failure says, and about whom (DESIGN §5):
//   transient — about the channel (network, 3xx, 404, 408, 409, 429, 5xx): fail over, counts against it;
//   auth      — about the channel's account (401, 402, 403): fail over; repeated, it leaves rotation;
//   request   — about the request (400, 413, 422): answered at once with our own safe message;
//   timeout   — the upstream took the request and went quiet: never started again elsewhere (at most
//               one generation that could be billed), counts against the channel.
// The upstream's own text never reaches the tenant: it can name accounts, hosts and keys.

export type FailureKind = "transient" | "auth" | "request" | "timeout";

export class UpstreamFailure extends Error {
  constructor(
    message: string, // for logs and the admin's view of the channel, never for the tenant
    readonly kind: FailureKind,
    readonly status?: number,
    /** For kind "request": what the tenant is told. */
    readonly clientError?: GatewayError,
  ) {
    super(message);
    this.name = "UpstreamFailure";
  }

  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "auth";
  }
}

/** Classifies a non-2xx upstream answer; the body is read only to recognise request errors. */
export function failureFromStatus(status: number, bodyText: string): UpstreamFailure {
  if (status === 400 || status === 413 || status === 422) {
    return new UpstreamFailure(`upstream refused the request (${status})`, "request", status, requestError(bodyText));
  }
  if (status === 401 || status === 402 || status === 403) {
    const what = status === 402 ? "reported the account out of credit" : "rejected the channel credential";
    return new UpstreamFailure(`upstream ${what} (${status})`, "auth", status);
  }
  if (status >= 300 && status < 400) return new UpstreamFailure(`upstream redirected (${status})`, "transient", status);
  return new UpstreamFailure(`upstream answered ${status}`, "transient", status);
}

// Network failures by code: before or while the request was sent (fail over), or a timeout after it.
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/**
 * A thrown error from an upstream attempt → its failure, or null when it is not about the upstream
 * at all (a bug of ours: it must neither open a breaker nor fail over).
 */
export function failureFromError(err: unknown, signal: AbortSignal): UpstreamFailure | null {
  if (err instanceof UpstreamFailure) return err;
  if (signal.aborted && signal.reason instanceof UpstreamFailure) return signal.reason;
  const code = networkCode(err);
  if (!code) return null;
  if (TIMEOUT_CODES.has(code)) return new UpstreamFailure(`upstream did not answer in time (${code})`, "timeout");
  return new UpstreamFailure(`upstream connection failed (${code})`, "transient");
}

// Socket errors (ECONNREFUSED, ENOTFOUND, EPIPE …, and the SSRF guard's ESSRF), undici's, and TLS's.
// Node's own programming errors (ERR_INVALID_ARG_TYPE …) do not match: they are bugs, not the network.
const NETWORK_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+|ERR_(TLS|SSL)_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|UNABLE_TO_[A-Z_]+)$/;

function networkCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODE.test(code)) return code;
  }
  return null;
}

// Provider wordings of the two request errors a tenant can act on.
const CONTEXT_CODES = new Set(["context_length_exceeded", "string_above_max_length", "model_context_window_exceeded"]);
const CONTEXT_TEXT =
  /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|reduce the length|exceeds? the (model'?s )?(maximum|max)/i;
const POLICY_CODES = new Set(["content_policy_violation", "content_filter", "data_inspection_failed", "1301"]);
const POLICY_TEXT = /content (policy|management|filter)|safety system|inappropriate|sensitive|moderation|flagged/i;

/** The tenant's version of an upstream 4xx about the request: our words, never the provider's. */
export function requestError(bodyText: string): GatewayError {
  const { code, type, message, param } = parseProviderError(bodyText);
  if ((code && CONTEXT_CODES.has(code)) || CONTEXT_TEXT.test(message)) {
    return new GatewayError(
      "invalid_request",
      "This request is longer than the model's context window allows. Shorten the messages or lower max_tokens.",
      { code: "context_length_exceeded", param: "messages" },
    );
  }
  if ((code && POLICY_CODES.has(code)) || type === "content_filter" || POLICY_TEXT.test(message)) {
    return new GatewayError("invalid_request", "The model provider declined this request under its content policy.", {
      code: "content_policy_violation",
    });
  }
  return new GatewayError(
    "invalid_request",
    "The model provider rejected this request as invalid. Check the parameters you sent.",
    { code: "upstream_invalid_request", param: safeParam(param) },
  );
}

function parseProviderError(bodyText: string): {
  code: string | null;
  type: string | null;
  message: string;
  param: unknown;
} {
  try {
    const parsed = JSON.parse(bodyText) as Record<string, unknown>;
    const error = (typeof parsed.error === "object" && parsed.error !== null ? parsed.error : parsed) as Record<
      string,
      unknown
    >;
    const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : null);
    return {
      code: str(error.code),
      type: str(error.type),
      message: str(error.message) ?? (typeof parsed.error === "string" ? parsed.error : ""),
      param: error.param,
    };
  } catch {
    return { code: null, type: null, message: bodyText.slice(0, 2_000), param: null };
  }
}

/** A parameter name is safe to repeat (it is the tenant's own field), anything else is dropped. */
function safeParam(param: unknown): string | null {
  return typeof param === "string" && /^[A-Za-z_][A-Za-z0-9_.[\]]{0,63}$/.test(param) ? param : null;
}
