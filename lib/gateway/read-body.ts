import { GatewayError } from "./errors";

/**
 * Reads a JSON request body, refusing (413) anything over `maxBytes` without reading it in full:
 * a declared Content-Length is checked first, a chunked body is cut off as soon as it passes the cap.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw new GatewayError("invalid_request", "The request body is empty; expected JSON.");

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) throw new GatewayError("invalid_request", "The request body is empty; expected JSON.");
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError(
      "invalid_request",
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
    );
  }
}

function tooLarge(maxBytes: number) {
  return new GatewayError("request_too_large", `Request body too large: the limit is ${maxBytes} bytes.`);
}
