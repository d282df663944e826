import { parseJsonBytes } from "../../read-body";
import { prepareChatObject, type BodyLimits, type PreparedChatBody } from "../../prepared-body";
import { parseResponsesRequest, responsesToChatRequest, type ResponsesRequest } from "./request";

// A /v1/responses body prepared in one pass (on a body worker when large, like a chat body): the
// Responses request validated and its canonical translation prepared. The request comes back
// without its `input` (the answer echoes every other field, never the input).

export interface PreparedResponsesBody {
  kind: "responses";
  chat: PreparedChatBody;
  request: ResponsesRequest;
}

export function prepareResponsesBody(bytes: Uint8Array, limits: BodyLimits): PreparedResponsesBody {
  const request = parseResponsesRequest(parseJsonBytes(bytes, limits.maxDepth), limits);
  const chat = prepareChatObject(responsesToChatRequest(request), bytes.length, limits);
  return { kind: "responses", chat, request: { ...request, input: [] } };
}
