import { readCappedBody } from "@/lib/http/read-capped-body";
import { GatewayError } from "./errors";

/** Reads a JSON request body; 413 for anything over `maxBytes`, never reading it in full. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readCappedBody(request, maxBytes);
  if (text === null) throw tooLarge(maxBytes);
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
