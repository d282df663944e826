import { handleChatCompletions } from "./chat-completions";
import { handleCountTokens } from "./surfaces/messages/count-tokens-handler";
import { handleMessages } from "./surfaces/messages/handler";
import { handleResponses } from "./surfaces/responses/handler";
import { handleEmbeddings } from "./embeddings";
import { errorResponse, GatewayError } from "./errors";
import { handleListModels, handleRetrieveModel } from "./models-endpoint";
import { newRequestId } from "@/lib/http/request-id";
import { GatewayResponse, type GatewayRequest } from "./http";
import { logUnauthenticatedRequest } from "./access-log";
import { clientAddress } from "./client-ip";

// The /v1 surface: method + path → gateway handler. Served by our own HTTP server (lib/server), not
// by Next.js, so an API call pays for nothing but the gateway. Unknown paths answer an OpenAI-shaped
// 404, known paths with the wrong method a 405 with `Allow`; CORS lets browser apps call with a key.

type Handler = (request: GatewayRequest, params: string[]) => Promise<GatewayResponse>;

interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
}

const ROUTES: Route[] = [
  { pattern: /^\/v1\/chat\/completions\/?$/, methods: { POST: (request) => handleChatCompletions(request) } },
  { pattern: /^\/v1\/messages\/?$/, methods: { POST: (request) => handleMessages(request) } },
  { pattern: /^\/v1\/messages\/count_tokens\/?$/, methods: { POST: (request) => handleCountTokens(request) } },
  { pattern: /^\/v1\/responses\/?$/, methods: { POST: (request) => handleResponses(request) } },
  { pattern: /^\/v1\/embeddings\/?$/, methods: { POST: (request) => handleEmbeddings(request) } },
  { pattern: /^\/v1\/models\/?$/, methods: { GET: (request) => handleListModels(request) } },
  {
    pattern: /^\/v1\/models\/([^/]+)$/,
    methods: { GET: (request, [id]) => handleRetrieveModel(request, safeDecode(id)) },
  },
];

// Headers a browser app may read (the SDK's dangerouslyAllowBrowser): ids, cost, limits, retry hints.
const EXPOSED_HEADERS = [
  "x-request-id",
  "x-tokenflow-model",
  "x-tokenflow-route",
  "x-tokenflow-cost-usd",
  "retry-after",
  "retry-after-ms",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens",
  "x-should-retry",
].join(", ");

export function isV1Path(pathname: string): boolean {
  return pathname === "/v1" || pathname.startsWith("/v1/");
}

/** Answers one /v1 request. `pathname` is the URL path without the query. */
export async function routeV1(request: GatewayRequest, pathname: string): Promise<GatewayResponse> {
  const startedAt = performance.now();
  const response = request.method === "OPTIONS" ? preflight(request) : await dispatch(request, pathname);
  if (response.status === 401) {
    // No key was accepted, so there is no receipt, whose access line this would otherwise be.
    logUnauthenticatedRequest({
      requestId: response.headers["x-request-id"],
      method: request.method,
      path: pathname,
      status: 401,
      latencyMs: Math.round(performance.now() - startedAt),
      clientIp: clientAddress(request.headers),
    });
  }
  response.headers["access-control-allow-origin"] = "*";
  response.headers["access-control-expose-headers"] = EXPOSED_HEADERS;
  response.headers["x-content-type-options"] = "nosniff";
  return response;
}

async function dispatch(request: GatewayRequest, pathname: string): Promise<GatewayResponse> {
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const method = request.method === "HEAD" ? "GET" : (request.method ?? "GET");
    const handler = route.methods[method];
    if (handler) {
      const response = await handler(request, match.slice(1));
      return request.method === "HEAD" ? response.withoutBody() : response;
    }
    const allowed = Object.keys(route.methods);
    return errorResponse(
      new GatewayError(
        "method_not_allowed",
        `Method ${request.method} is not allowed for ${pathname}. Use ${allowed.join(" or ")}.`,
        { headers: { allow: [...allowed, "OPTIONS"].join(", ") } },
      ),
      newRequestId(),
    );
  }
  return errorResponse(
    new GatewayError("not_found", `Unknown request URL: ${request.method} ${pathname}.`),
    newRequestId(),
  );
}

// Browsers ask before a cross-origin POST with Authorization; no cookies are involved, so any origin may.
// `Authorization` is not covered by the `*` wildcard, hence the echo of what the browser asked for.
function preflight(request: GatewayRequest): GatewayResponse {
  const asked = request.headers.get("access-control-request-headers") ?? "";
  const allowHeaders = /^[A-Za-z0-9_, -]{1,1000}$/.test(asked) ? asked : "authorization, content-type";
  return new GatewayResponse(204, {
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": allowHeaders,
    "access-control-max-age": "86400",
  });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
