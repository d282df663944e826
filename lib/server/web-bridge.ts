import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

// node:http ⇄ web Request/Response, for the gateway core (which speaks web Request → Response and
// knows nothing of Node's server). The client going away aborts the Request's signal and cancels the
// Response body, which is how the gateway learns to stop the upstream and settle.

/** A web Request for an incoming message; `signal` aborts when the client disconnects (or on shutdown). */
export function toWebRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  // The host is irrelevant to the gateway; a fixed origin keeps a hostile Host header out of URL parsing.
  return new Request(`http://localhost${req.url ?? "/"}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: "half",
    signal,
  } as RequestInit);
}

/**
 * Writes a web Response to a node response, honouring backpressure. Resolves when the body has been
 * written or the client has gone (the body is then cancelled, so its source can clean up).
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const onClose = () => void reader.cancel().catch(() => undefined);
  res.once("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await waitForDrain(res);
    }
    res.end();
  } catch {
    // The body failed (or was cancelled because the client left): end what we can.
    if (!res.destroyed) res.destroy();
  } finally {
    res.off("close", onClose);
  }
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
