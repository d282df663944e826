// The gateway's own request and answer: what /v1 needs of an HTTP exchange and nothing more. Our
// node:http server (lib/server/node-exchange.ts) makes them straight from Node's objects and writes
// them straight back, so an API call pays for no web Request/Headers/Response/ReadableStream (about
// a fifth of the gateway's CPU per request when it did).

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

/** A streamed answer, pulled by the server as fast as the client reads. */
export interface StreamBody {
  /** The next text to send, or null when the stream has ended. */
  next(): Promise<string | null>;
  /** The client went away: stop producing (and settle). */
  cancel(): Promise<void>;
}

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
    if (this.body !== null && typeof this.body !== "string") void this.body.cancel();
    return new GatewayResponse(this.status, this.headers, null);
  }

  /** As a web Response (tests, and callers outside our server). */
  toWebResponse(): Response {
    const body = this.body;
    if (body === null || typeof body === "string") return new Response(body, this.init());
    const encoder = new TextEncoder();
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          const text = await body.next();
          if (text === null) controller.close();
          else controller.enqueue(encoder.encode(text));
        },
        cancel: () => body.cancel(),
      }),
      this.init(),
    );
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
