/**
 * Reads a request body as bytes, giving up (null) as soon as it is known to exceed `maxBytes`:
 * a declared Content-Length is checked first, a chunked body is cut off once it passes the cap,
 * so an oversized body is never read in full. Each surface turns null into its own 413.
 */
export async function readCappedBytes(request: Request, maxBytes: number): Promise<Buffer | null> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) return null;
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** `readCappedBytes` as text (invalid UTF-8 becomes U+FFFD; /v1 decodes strictly instead). */
export async function readCappedBody(request: Request, maxBytes: number): Promise<string | null> {
  const bytes = await readCappedBytes(request, maxBytes);
  return bytes === null ? null : bytes.toString("utf8");
}
