import type { IncomingMessage, ServerResponse } from "node:http";

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
    body: hasBody ? lazyBody(req) : undefined,
    duplex: "half",
    signal,
  } as RequestInit);
}

/**
 * The request body as a web stream that reads from the socket only when the gateway reads it. A
 * request refused before its body is read (bad key, rate limit) leaves it untouched, so Node
 * discards it after the answer and the connection stays usable; a body abandoned half-way (413)
 * is drained and discarded, never left in the connection for the next request to trip on.
 */
function lazyBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= req[Symbol.asyncIterator]();
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      cancel() {
        req.resume();
      },
    },
    { highWaterMark: 0 },
  );
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
