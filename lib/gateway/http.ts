// The gateway's own request and answer: what /v1 needs of an HTTP exchange and nothing more. Our
// node:http server (lib/server/node-exchange.ts) makes them straight from Node's objects and writes
// them straight back, so an API call pays for no web Request/Headers/Response/ReadableStream (about
// a fifth of the gateway's CPU per request when it did).

import { Readable } from "node:stream";
import type { HeaderReader } from "@/lib/http/header-reader";
import { readCappedBytes } from "@/lib/http/read-capped-body";

export type { HeaderReader };

export interface GatewayRequest {
  readonly method: string;
  readonly headers: HeaderReader;
  /** Aborts when the client disconnects, or with a ServerShutdown reason when the server drains. */
  readonly signal: AbortSignal;
  /**
   * The body, read once: null as soon as it is known to exceed `maxBytes` (a declared
   * Content-Length is checked first; the rest of an oversized body is discarded, not read).
   */
  readBody(maxBytes: number): Promise<Buffer | null>;
}

/**
 * A streamed answer: a Node readable the server pipes into the response, so the client's pace
 * paces the producer. Destroying it tells the producer the client went away (it stops and settles).
 */
export type StreamBody = Readable;

export type ResponseHeaders = Record<string, string>;

/** An answer. Header names are lower-case. */
export class GatewayResponse {
  constructor(
    readonly status: number,
    readonly headers: ResponseHeaders,
    readonly body: string | StreamBody | null = null,
  ) {}

  static json(value: unknown, init: { status?: number; headers?: ResponseHeaders } = {}): GatewayResponse {
    return new GatewayResponse(
      init.status ?? 200,
      { ...init.headers, "content-type": "application/json" },
      JSON.stringify(value),
    );
  }

  /** The same answer without a body (HEAD); a stream's producer is told nobody will read it. */
  withoutBody(): GatewayResponse {
    if (this.body !== null && typeof this.body !== "string") this.body.destroy();
    return new GatewayResponse(this.status, this.headers, null);
  }

  /** As a web Response (tests, and callers outside our server). */
  toWebResponse(): Response {
    const body = this.body;
    if (body === null || typeof body === "string") return new Response(body, this.init());
    return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, this.init());
  }

  private init(): ResponseInit {
    return { status: this.status, headers: this.headers };
  }
}

/** Headers from a plain record (names any case), for requests the server makes itself. */
export function headersFrom(record: Record<string, string>): HeaderReader {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(record)) lower.set(name.toLowerCase(), value);
  return { get: (name) => lower.get(name.toLowerCase()) ?? null };
}

/** A web Request as the gateway's request (tests, and requests made inside the server). */
export function fromWebRequest(request: Request): GatewayRequest {
  return {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    readBody: (maxBytes) => readCappedBytes(request, maxBytes),
  };
}
