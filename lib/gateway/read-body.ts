import { isUtf8 } from "node:buffer";
import { gatewayConfig } from "./config";
import { GatewayError } from "./errors";
import type { GatewayRequest } from "./http";
import { scanJson } from "./json-guard";

// Malformed input of any shape is a fast 400 (413 for size) before anything recursive runs on it:
// size cap while reading, then a linear scan of the bytes (nesting depth, overflowing numbers),
// then a strict UTF-8 check (Buffer#toString alone would silently swap bad bytes for U+FFFD), then JSON.parse.

const NOT_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)";

/** Reads and parses a JSON request body: 413 over `maxBytes` (never reading it in full), 400 for anything malformed. */
export async function readJsonBody(
  request: GatewayRequest,
  maxBytes: number,
  maxDepth = gatewayConfig().TOKENFLOW_MAX_JSON_DEPTH,
): Promise<unknown> {
  return parseJsonBytes(await readBodyBytes(request, maxBytes), maxDepth);
}

/** The raw body, or a 413 once it is known to exceed `maxBytes`. */
export async function readBodyBytes(request: GatewayRequest, maxBytes: number): Promise<Buffer> {
  let bytes: Buffer | null;
  try {
    bytes = await request.readBody(maxBytes);
  } catch (error) {
    // The body stream broke (a bad chunked encoding, a client gone mid-upload): the request's fault, never a 5xx.
    throw new GatewayError("invalid_request", "We could not read the body of your request.", { cause: error });
  }
  if (bytes === null) {
    throw new GatewayError("request_too_large", `Request body too large: the limit is ${maxBytes} bytes.`);
  }
  return bytes;
}

/** Bytes → JSON value, refusing (400) empty bodies, deep nesting, overflowing numbers, invalid UTF-8 and invalid JSON. */
export function parseJsonBytes(bytes: Uint8Array, maxDepth: number): unknown {
  if (isBlank(bytes)) throw new GatewayError("invalid_request", "The request body is empty; expected JSON.");
  const problem = scanJson(bytes, maxDepth);
  if (problem?.kind === "too_deep") {
    throw new GatewayError(
      "invalid_request",
      `The JSON body of your request is nested too deeply: at most ${problem.maxDepth} levels of arrays and objects are allowed.`,
    );
  }
  if (problem?.kind === "non_finite_number") {
    throw new GatewayError(
      "invalid_request",
      `The JSON body of your request contains a number out of range (${problem.literal}); numbers must be finite.`,
    );
  }
  // isUtf8 (simdutf) checks 19 MiB in a few ms; Buffer#toString then decodes what is known to be valid.
  if (!isUtf8(bytes)) throw new GatewayError("invalid_request", `${NOT_JSON} The body is not valid UTF-8.`);
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // a byte-order mark, as TextDecoder drops it
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.byteLength - start).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError("invalid_request", NOT_JSON);
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}
