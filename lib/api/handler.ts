import type { z } from "zod";
import { authenticateAdmin, type AdminActor } from "@/lib/admin/auth";
import { isDataRangeError } from "@/lib/admin/db-errors";
import { ID_PATTERN } from "@/lib/admin/fields";
import { authenticateRequest, type KeyContext } from "@/lib/gateway/auth";
import { GatewayError } from "@/lib/gateway/errors";
import { ApiError, apiErrorBody, apiErrorStatus, validationError } from "./errors";
import { readCappedBody } from "@/lib/http/read-capped-body";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { newRequestId } from "@/lib/http/request-id";
import { isSameOriginMutation } from "@/lib/auth/same-origin";
import { sessionUserOfRequest } from "@/lib/auth/request-session";
import type { SessionUser } from "@/lib/auth/session";
import { logger } from "@/lib/log";

const log = logger("api");

// One small wrapper per surface (management API, key-authenticated /api routes): it authenticates,
// maps errors to `{ error: { code, message } }`, and stamps every answer with x-request-id, so route
// files stay a few lines: parse, call one lib function, answer.

/** Request bodies on this surface are small JSON documents. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Params = Record<string, string>;

/** What Next.js passes as the second route-handler argument (params is a Promise since Next 15). */
export interface RouteContext<P extends Params> {
  params: Promise<P>;
}

export interface ApiContext<P extends Params> {
  request: Request;
  params: P;
  requestId: string;
}
export interface AdminContext<P extends Params> extends ApiContext<P> {
  admin: AdminActor;
}
export interface KeyContextArgs<P extends Params> extends ApiContext<P> {
  key: KeyContext;
}

export interface SessionContextArgs<P extends Params> extends ApiContext<P> {
  user: SessionUser;
}

type RouteHandler<P extends Params> = (request: Request, context: RouteContext<P>) => Promise<Response>;

/** Error mapping and request id, no authentication. */
export function withApi<P extends Params = Params>(
  handler: (ctx: ApiContext<P>) => Promise<Response>,
): RouteHandler<P> {
  return async (request, context) => {
    const requestId = newRequestId();
    let response: Response;
    try {
      response = await handler({ request, params: ((await context?.params) ?? {}) as P, requestId });
    } catch (err) {
      response = errorResponse(err, request, requestId);
    }
    response.headers.set("x-request-id", requestId);
    response.headers.set("cache-control", "no-store");
    return response;
  };
}

/** Management API: bootstrap key, admin API key or admin session; otherwise 401. */
export function withAdmin<P extends Params = Params>(
  handler: (ctx: AdminContext<P>) => Promise<Response>,
): RouteHandler<P> {
  return withApi<P>(async (ctx) => {
    const admin = await authenticateAdmin(ctx.request);
    assertIdParams(ctx.params);
    return handler({ ...ctx, admin });
  });
}

/** Routes a tenant calls with its gateway key (`Authorization: Bearer tf-…`). */
export function withGatewayKey<P extends Params = Params>(
  handler: (ctx: KeyContextArgs<P>) => Promise<Response>,
): RouteHandler<P> {
  return withApi<P>(async (ctx) => {
    let key: KeyContext;
    try {
      key = await authenticateRequest(ctx.request.headers);
    } catch (err) {
      if (err instanceof GatewayError && err.kind === "invalid_api_key") {
        throw new ApiError("unauthorized", "Invalid API key: send Authorization: Bearer tf-…");
      }
      throw err;
    }
    return handler({ ...ctx, key });
  });
}

/**
 * The dashboard's own JSON routes (billing): the signed-in user's session cookie, and for a
 * mutation the site's own Origin (CSRF); otherwise 401 / 403.
 */
export function withSession<P extends Params = Params>(
  handler: (ctx: SessionContextArgs<P>) => Promise<Response>,
): RouteHandler<P> {
  return withApi<P>(async (ctx) => {
    if (!isSameOriginMutation(ctx.request)) {
      throw new ApiError("forbidden", "Cross-site requests are refused: call this from the TokenFlow site.");
    }
    const user = await sessionUserOfRequest(ctx.request.headers);
    if (!user) throw new ApiError("unauthorized", "Sign in to do this.");
    return handler({ ...ctx, user });
  });
}

/**
 * Reads a JSON body (at most MAX_BODY_BYTES) and validates it; failures are 400/413 ApiErrors.
 * A declared Content-Type must be JSON: a form or text/plain post is refused rather than guessed at.
 */
export async function parseBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  assertJsonContentType(request.headers.get("content-type"));
  const text = await readBodyText(request, MAX_BODY_BYTES);
  if (!text.trim()) throw new ApiError("bad_request", "The request body is empty; expected a JSON object.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError("bad_request", "The request body is not valid JSON.");
  }
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}

/** Validates the query string (`?a=1&b=x`, last value wins). */
export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.output<S> {
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const result = schema.safeParse(query);
  if (!result.success) throw validationError(result.error.issues, "query");
  return result.data;
}

export function json(data: unknown, status = 200): Response {
  return Response.json(data, { status });
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** No Content-Type is read as JSON (curl users); any other than application/json or *+json is refused. */
function assertJsonContentType(contentType: string | null): void {
  if (contentType === null) return;
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  if (mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) return;
  throw new ApiError("bad_request", "The request body must be JSON: send Content-Type: application/json.");
}

/**
 * Path segments of the management API name rows by id; one no id can match (a NUL byte, a space, a
 * 10 kB string) is refused before it reaches a query.
 */
function assertIdParams(params: Params): void {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "string" && !ID_PATTERN.test(value)) {
      throw new ApiError("validation_error", `${name}: is not a valid id`, { field: name });
    }
  }
}

async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const text = await readCappedBody(request, maxBytes);
  if (text === null) throw tooLarge(maxBytes);
  return text;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `Request body too large: the limit is ${maxBytes} bytes.`);
}

function errorResponse(thrown: unknown, request: Request, requestId: string): Response {
  const where = `${request.method} ${new URL(request.url).pathname}`;
  let err = thrown;
  if (isDataRangeError(thrown)) {
    // A value validation should have refused reached the database: the client's fault, but our gap.
    log.warn({ requestId, where }, "the database refused a value as out of range or malformed");
    err = new ApiError("validation_error", "A value is out of range or malformed.");
  }
  if (!(err instanceof ApiError) && isDatabaseUnavailable(err)) {
    log.warn({ requestId, where }, "the database is unavailable");
    err = new ApiError("service_unavailable", "The service is temporarily unavailable. Please retry shortly.");
  }
  if (!(err instanceof ApiError)) {
    // Logged for operators only; the client gets a generic message with the id to quote.
    log.error({ err, requestId, where }, "request failed");
  }
  return Response.json(apiErrorBody(err, requestId), { status: apiErrorStatus(err) });
}
