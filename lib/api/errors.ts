// The error surface of everything outside /v1 (management API, /api/redeem, later dashboard APIs):
// `{ error: { code, message, field? } }`. One table maps every code to its HTTP status, so routes
// cannot drift. Unknown exceptions never reach this shape with their own message: the handler
// wrapper logs them with the request id and answers a generic internal_error.

export const API_ERROR_STATUS = {
  bad_request: 400,
  validation_error: 400, // carries `field`: the offending body/query field, dotted path
  invalid_base_url: 400, // a channel base URL refused by the SSRF guard
  invalid_code: 400, // redemption code unknown, used or expired (one message for all three)
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  balance_too_low: 409, // a debit would take the balance below zero
  payload_too_large: 413,
  unprocessable: 422,
  internal_error: 500,
  service_unavailable: 503, // the database is unreachable right now: retry later
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly field?: string;

  constructor(code: ApiErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.status = API_ERROR_STATUS[code];
    if (options.field !== undefined) this.field = options.field;
  }
}

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string };
}

const GENERIC_INTERNAL_MESSAGE = "Something went wrong on our side.";

/** The body for an error; anything that is not an ApiError becomes a generic internal_error. */
export function apiErrorBody(error: unknown, requestId?: string): ApiErrorBody {
  if (error instanceof ApiError) {
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(error.field !== undefined ? { field: error.field } : {}),
      },
    };
  }
  const suffix = requestId ? ` (request id ${requestId})` : "";
  return { error: { code: "internal_error", message: GENERIC_INTERNAL_MESSAGE + suffix } };
}

export function apiErrorStatus(error: unknown): number {
  return error instanceof ApiError ? error.status : API_ERROR_STATUS.internal_error;
}

export function notFound(what: string): ApiError {
  return new ApiError("not_found", `${what} not found`);
}

/** Minimal view of a zod issue, so this file needs no zod import. */
interface ValidationIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

/**
 * Turns one zod issue into a validation_error naming the field (dotted path, "body" for the root).
 * Unknown fields (strict schemas) come first, as `Unknown field "x"`: a misspelt field would
 * otherwise be reported as its correctly spelt twin being "required".
 */
export function validationError(issues: readonly ValidationIssue[], root = "body"): ApiError {
  const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
  if (!issue) return new ApiError("validation_error", "Invalid request", { field: root });
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && issue.keys && issue.keys.length > 0) {
    const field = [...path, issue.keys[0]].join(".");
    return new ApiError("validation_error", `Unknown field "${field}"`, { field });
  }
  const field = path.length > 0 ? path.join(".") : root;
  const isMissing = issue.code === "invalid_type" && /received undefined$/.test(issue.message);
  return new ApiError("validation_error", isMissing ? `${field} is required` : `${field}: ${issue.message}`, { field });
}
