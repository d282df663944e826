import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkReadiness } from "@/lib/health/readiness";
import { getMetrics, metricsToken } from "@/lib/metrics/registry";
import { refreshScrapeGauges } from "@/lib/metrics/scrape";
import type { Lifecycle } from "./lifecycle";

// /healthz, /readyz and /metrics, answered by our own HTTP server before Next.js sees the request:
// load balancers and Prometheus call them every few seconds, and they must keep answering when
// pages are slow. /healthz touches nothing (the process answers: it is alive); /readyz checks the
// database (lib/health/readiness.ts); /metrics is off (404) unless TOKENFLOW_METRICS_TOKEN is set,
// then it wants that token as a bearer token.

const OPS_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function isOpsPath(pathname: string): boolean {
  return OPS_PATHS.has(pathname);
}

export async function serveOps(
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
  lifecycle: Lifecycle,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return sendJson(res, 405, { error: { code: "method_not_allowed", message: "Use GET." } });
  }
  if (pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
  if (pathname === "/readyz") {
    // A draining server finishes what it has but should get nothing new.
    if (lifecycle.draining) return sendJson(res, 503, { status: "draining" });
    const readiness = await checkReadiness();
    const { ready, ...checks } = readiness;
    return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not_ready", ...checks });
  }
  return serveMetrics(req, res);
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = metricsToken();
  const metrics = getMetrics();
  if (!token || !metrics) return sendJson(res, 404, { error: { code: "not_found", message: "Not found." } });
  if (!isAuthorized(req.headers.authorization, token)) {
    res.setHeader("www-authenticate", 'Bearer realm="metrics"');
    return sendJson(res, 401, {
      error: { code: "unauthorized", message: "A valid metrics bearer token is required." },
    });
  }
  await refreshScrapeGauges(metrics);
  const body = await metrics.registry.metrics();
  res.statusCode = 200;
  res.setHeader("content-type", metrics.registry.contentType);
  res.setHeader("cache-control", "no-store");
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * `Authorization: Bearer <token>`, compared in constant time: both sides are hashed first, so the
 * comparison neither stops at the first differing byte nor tells the token's length.
 */
export function isAuthorized(header: string | undefined, token: string): boolean {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const presented = createHash("sha256")
    .update(match ? match[1] : "")
    .digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(presented, expected) && match !== null;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(JSON.stringify(body));
}
