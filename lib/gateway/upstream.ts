import type { Readable } from "node:stream";
import type { Agent } from "undici";
import type { UpstreamStream } from "./providers/adapter";
import { allowListFromEnv, createGuardedAgent } from "@/lib/security/ssrf";
import type { CatalogChannel } from "./catalog";
import { gatewayConfig } from "./config";
import type { AttemptContext } from "./failover";
import { failureFromStatus, UpstreamFailure } from "./upstream-failure";
import { joinUrl } from "./providers/openai-compatible";

// The only place the gateway talks to upstreams: undici keep-alive pools (much cheaper than
// fetch()), every connection through the SSRF guard (DNS rebinding and IP literals included).

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

const globalForAgent = globalThis as unknown as { tokenflowAgent?: Agent };

function agent(): Agent {
  globalForAgent.tokenflowAgent ??= createGuardedAgent(allowListFromEnv(), {
    connectTimeoutMs: gatewayConfig().TOKENFLOW_CONNECT_TIMEOUT_MS,
    keepAliveTimeoutMs: 30_000,
  });
  return globalForAgent.tokenflowAgent;
}

export interface PostOptions {
  signal: AbortSignal;
  /** Most to wait for the response headers: for a non-streaming call, the whole generation. */
  headersTimeoutMs: number;
  /** The provider's authentication headers; by default OpenAI's `Authorization: Bearer <key>`. */
  auth?: Record<string, string>;
}

/** The OpenAI wire format's credential header. */
export function bearerAuth(channel: CatalogChannel): Record<string, string> {
  return channel.apiKey ? { authorization: `Bearer ${channel.apiKey}` } : {};
}

/** POSTs JSON to a channel (path under its base URL). Throws on network errors and timeouts. */
export async function postUpstream(
  channel: CatalogChannel,
  path: string,
  body: Buffer | Record<string, unknown>,
  { signal, headersTimeoutMs, auth = bearerAuth(channel) }: PostOptions,
): Promise<UpstreamResponse> {
  const url = new URL(joinUrl(channel.baseUrl, path));
  const config = gatewayConfig();
  const response = await agent().request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...auth,
    },
    body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
    signal,
    headersTimeout: Math.max(1, Math.round(headersTimeoutMs)),
    bodyTimeout: config.TOKENFLOW_IDLE_TIMEOUT_MS,
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/** How a wire format authenticates and what its error answers mean. */
export interface WireFormat {
  auth(channel: CatalogChannel): Record<string, string>;
  failure(status: number, bodyText: string): UpstreamFailure;
}

export const OPENAI_WIRE: WireFormat = { auth: bearerAuth, failure: failureFromStatus };

/**
 * Opens a streaming call and waits for its first bytes: a stream that fails before them can still
 * fail over. A stream's headers come at once from a healthy upstream; the first-byte timeout bounds
 * the wait.
 */
export async function openUpstreamStream(
  channel: CatalogChannel,
  path: string,
  body: Buffer | Record<string, unknown>,
  { signal, remainingMs }: AttemptContext,
  wire: WireFormat = OPENAI_WIRE,
): Promise<UpstreamStream> {
  const upstream = await postUpstream(channel, path, body, {
    signal,
    headersTimeoutMs: Math.min(gatewayConfig().TOKENFLOW_FIRST_BYTE_TIMEOUT_MS, remainingMs),
    auth: wire.auth(channel),
  });
  if (upstream.status !== 200)
    throw wire.failure(upstream.status, await readUpstreamBody(upstream.body, 1024 * 1024).catch(() => ""));
  return startedStream(upstream.body);
}

/**
 * A stream whose first bytes have arrived, the rest left paused in `body`; an error if it ends (or
 * fails) before any.
 */
export function startedStream(body: Readable): Promise<UpstreamStream> {
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("close", onEnd);
      body.off("error", onError);
      outcome();
    };
    const onData = (first: Uint8Array) => {
      body.pause();
      // Whoever relays the stream listens a few awaits from now; a failure before then must not be
      // an 'error' nobody listens to (an uncaught exception, which stops the server). The relay
      // sees it anyway: the body is destroyed.
      body.on("error", ignoreError);
      settle(() => resolve({ body, first, close: () => body.destroy() }));
    };
    const onEnd = () => settle(() => reject(new UpstreamFailure("upstream stream ended before any data", "transient")));
    const onError = (err: Error) => settle(() => reject(err));
    // Closed (reset, aborted) before we listened: it will not say so again.
    if (body.destroyed) return onEnd();
    body.on("data", onData);
    body.once("end", onEnd);
    body.once("close", onEnd);
    body.once("error", onError);
  });
}

function ignoreError() {}

/** Reads a whole (non-streaming) upstream body, refusing absurd sizes. */
export async function readUpstreamBody(body: AsyncIterable<Uint8Array>, maxBytes = 64 * 1024 * 1024): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new UpstreamFailure("upstream response too large", "transient");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A non-streaming call: POSTs, reads the whole answer and parses it. Non-200 answers and invalid
 * JSON become classified failures, so the caller's failover can move on to the next channel.
 */
export async function postUpstreamJson(
  channel: CatalogChannel,
  path: string,
  body: Buffer | Record<string, unknown>,
  { signal, remainingMs }: AttemptContext,
  wire: WireFormat = OPENAI_WIRE,
): Promise<Record<string, unknown>> {
  // Non-streaming answers come whole after the generation: wait for them until the request deadline.
  const upstream = await postUpstream(channel, path, body, {
    signal,
    headersTimeoutMs: remainingMs,
    auth: wire.auth(channel),
  });
  const text = await readUpstreamBody(upstream.body);
  if (upstream.status !== 200) throw wire.failure(upstream.status, text);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UpstreamFailure("upstream sent invalid JSON", "transient", upstream.status);
  }
}
