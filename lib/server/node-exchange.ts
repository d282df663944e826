import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayRequest, GatewayResponse, HeaderReader, StreamBody } from "@/lib/gateway/http";

// node:http ⇄ the gateway's own request and answer (lib/gateway/http.ts), with no web objects in
// between: headers are read from Node's raw list, the body from the socket only when the gateway
// asks for it, and the answer is written in one go (a JSON body) or piped from a Node readable with
// backpressure (a stream). The client going away aborts the request's signal and destroys a stream,
// which is how the gateway learns to stop the upstream and settle.

/** Request headers as web Headers would read them: any case, repeated values joined by ", ". */
export class NodeHeaders implements HeaderReader {
  private map: Map<string, string> | undefined;

  /** `overrides` win over what the client sent (the server's own facts, e.g. the peer address). */
  constructor(
    private readonly raw: string[],
    private readonly overrides: Record<string, string> = {},
  ) {}

  get(name: string): string | null {
    const key = name.toLowerCase();
    if (key in this.overrides) return this.overrides[key];
    this.map ??= this.index();
    return this.map.get(key) ?? null;
  }

  private index(): Map<string, string> {
    const map = new Map<string, string>();
    for (let i = 0; i < this.raw.length; i += 2) {
      const name = this.raw[i].toLowerCase();
      const seen = map.get(name);
      map.set(name, seen === undefined ? this.raw[i + 1] : `${seen}, ${this.raw[i + 1]}`);
    }
    return map;
  }
}

export class NodeRequest implements GatewayRequest {
  readonly method: string;
  readonly headers: NodeHeaders;
  private consumed = false;

  constructor(
    private readonly req: IncomingMessage,
    readonly signal: AbortSignal,
    overrides: Record<string, string> = {},
  ) {
    this.method = req.method ?? "GET";
    this.headers = new NodeHeaders(req.rawHeaders, overrides);
  }

  /**
   * A request refused before its body is read (bad key, rate limit) leaves it untouched, so Node
   * discards it after the answer and the connection stays usable; a body abandoned half-way (413)
   * is drained and discarded, never left in the connection for the next request to trip on.
   */
  async readBody(maxBytes: number): Promise<Buffer | null> {
    if (this.consumed) throw new Error("the request body was already read");
    this.consumed = true;
    const declared = Number(this.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      this.req.resume();
      return null;
    }
    return readCapped(this.req, maxBytes);
  }
}

function readCapped(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        stop();
        req.resume(); // what is left flows away unread
        resolve(null);
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    // Closed before the end: the client went away mid-upload.
    const onClose = () => onError(new Error("the connection closed before the request body ended"));
    if (req.readableEnded) return resolve(Buffer.alloc(0));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/**
 * Writes an answer. Resolves when it has been written, or when the client has gone (a stream is
 * then cancelled, so its producer can stop the upstream and settle).
 */
export async function sendGatewayResponse(res: ServerResponse, response: GatewayResponse): Promise<void> {
  const body = response.body;
  if (body === null) {
    res.writeHead(response.status, response.headers);
    res.end();
    return;
  }
  if (typeof body === "string") {
    // Headers and body leave in one write, with a length rather than chunked framing.
    const bytes = Buffer.from(body);
    response.headers["content-length"] = String(bytes.byteLength);
    res.writeHead(response.status, response.headers);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, response.headers);
  // A stream whose first text is ready sends it with the headers, in one write. One still waiting
  // for its first text sends the headers now: the client should know it is on.
  if (body.readableLength === 0) res.flushHeaders();
  await pipeStream(res, body);
}

/**
 * Pipes a stream into the response; resolves once the response is done (ended, or the client left:
 * the body is then destroyed, which stops its producer). Not stream.pipeline: it makes and aborts an
 * AbortController per call, whose DOMException cost ~1.5 % of a relayed stream's CPU.
 */
function pipeStream(res: ServerResponse, body: StreamBody): Promise<void> {
  return new Promise((resolve) => {
    res.once("close", () => {
      if (!res.writableFinished) body.destroy();
      resolve();
    });
    body.once("error", () => res.destroy()); // the producer failed: cut the response, the client sees it
    body.pipe(res);
  });
}
