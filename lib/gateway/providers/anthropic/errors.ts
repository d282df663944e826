// Anthropic's error answers (https://docs.anthropic.com/en/api/errors) → our UpstreamFailure kinds
// (see upstream-failure.ts): about the channel (fail over), its account (auth), or the request
// (answered at once, in our words). Anthropic's own text never reaches the tenant.
import { GatewayError } from "../../errors";
import { isRecord } from "../../request-validation";
import { requestError, UpstreamFailure, type FailureKind } from "../../upstream-failure";
import type { AnthropicErrorDetail } from "./types";

// The documented status of each error type (https://docs.anthropic.com/en/api/errors#http-errors).
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529, // Anthropic's own status: the API is temporarily overloaded
};

// An account out of credit has long been answered as a 400 invalid_request_error with this
// wording rather than a 402 billing_error: it is about the channel's account, not the request.
const OUT_OF_CREDIT_TEXT = /credit balance is too low/i;
// Anthropic's context-window wordings: "prompt is too long: 208310 tokens > 200000 maximum" (which
// requestError knows) and "input length and `max_tokens` exceed context limit: 197000 + 8192 >
// 200000, decrease input length or `max_tokens` and try again" (which it does not).
const CONTEXT_LIMIT_TEXT = /exceeds? (the )?context limit|prompt is too long/i;

/** Classifies a non-2xx Anthropic answer; the body is read only to recognise the error. */
export function failureFromAnthropicStatus(status: number, bodyText: string): UpstreamFailure {
  const error = parseAnthropicError(bodyText);
  const what = `anthropic answered ${status}${error.type ? ` ${error.type.slice(0, 60)}` : ""}`;
  if (status === 400 || status === 413 || status === 422) {
    if (OUT_OF_CREDIT_TEXT.test(error.message)) {
      return new UpstreamFailure(`${what}: the account is out of credit`, "auth", status);
    }
    return new UpstreamFailure(
      `${what}: refused the request`,
      "request",
      status,
      tenantError(status, error.message, bodyText),
    );
  }
  const kind = kindOfStatus(status);
  const why = kind === "auth" ? (status === 402 ? "the account is out of credit" : "the channel key was refused") : "";
  return new UpstreamFailure(why ? `${what}: ${why}` : what, kind, status);
}

/**
 * A mid-stream `error` event (https://docs.anthropic.com/en/api/messages-streaming#error-events),
 * e.g. overloaded_error after the 200 went out, as a failure for the logs and the channel's health.
 */
export function streamErrorFailure(error: AnthropicErrorDetail): UpstreamFailure {
  const status = STATUS_OF_TYPE[error.type];
  const what = `anthropic stream ended with an error event (${error.type.slice(0, 60)})`;
  if (status === 400 || status === 413) {
    return new UpstreamFailure(
      what,
      "request",
      undefined,
      tenantError(status, error.message, JSON.stringify({ error })),
    );
  }
  return new UpstreamFailure(what, status === undefined ? "transient" : kindOfStatus(status));
}

/** 401 / 403 (key refused) and 402 (billing) are about the account; everything else is transient. */
function kindOfStatus(status: number): FailureKind {
  return status === 401 || status === 402 || status === 403 ? "auth" : "transient";
}

/** The tenant's version of a request error: our words (requestError's), never Anthropic's. */
function tenantError(status: number, message: string, bodyText: string): GatewayError {
  // 413 is about size, never the context window: Anthropic caps a Messages request at 32 MB, below
  // what we accept. (requestError would read its "exceeds the maximum allowed number of bytes" as
  // a context-length error.)
  if (status === 413) {
    return new GatewayError(
      "request_too_large",
      "This request is larger than the model provider accepts. Send fewer or smaller images or documents.",
    );
  }
  if (CONTEXT_LIMIT_TEXT.test(message)) {
    // The gateway's one context-length answer, whatever the provider's wording.
    return requestError(JSON.stringify({ error: { code: "context_length_exceeded" } }));
  }
  return requestError(bodyText);
}

function parseAnthropicError(bodyText: string): { type: string | null; message: string } {
  try {
    const body: unknown = JSON.parse(bodyText);
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    return {
      type: typeof error.type === "string" ? error.type : null,
      message: typeof error.message === "string" ? error.message : "",
    };
  } catch {
    return { type: null, message: bodyText.slice(0, 2_000) };
  }
}
