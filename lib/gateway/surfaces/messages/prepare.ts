import { parseJsonBytes } from "../../read-body";
import {
  prepareChatObject,
  splitLargeFields,
  type BodyLimits,
  type PreparedChatBody,
  type RawFields,
} from "../../prepared-body";
import { promptBoundParts, type PromptBoundParts } from "../../tokens";
import { messagesToChatRequest, parseMessagesRequest } from "./request";

// A /v1/messages body prepared in one pass (on a body worker when large, like a chat body): the
// Anthropic request validated, its canonical translation prepared, and the client's own body kept as
// small fields plus large fields' bytes, for a native Anthropic channel to receive as it is.

export interface PreparedMessagesBody {
  kind: "messages";
  chat: PreparedChatBody;
  /** The client's body (validated), for a channel that speaks the Messages API. */
  native: { head: Record<string, unknown>; raw: RawFields };
}

export function prepareMessagesBody(bytes: Uint8Array, limits: BodyLimits): PreparedMessagesBody {
  const inbound = parseMessagesRequest(parseJsonBytes(bytes, limits.maxDepth), limits);
  const chat = prepareChatObject(messagesToChatRequest(inbound), bytes.length, limits);
  // The hold covers either body: the native one keeps what the translation drops (earlier thinking
  // blocks, cache markers).
  chat.promptBound = largerBound(chat.promptBound, promptBoundParts(inbound));
  const { head, raw } = splitLargeFields(inbound as Record<string, unknown>);
  return { kind: "messages", chat, native: { head, raw } };
}

function largerBound(a: PromptBoundParts, b: PromptBoundParts): PromptBoundParts {
  return {
    textBytes: Math.max(a.textBytes, b.textBytes),
    structuredBytes: Math.max(a.structuredBytes, b.structuredBytes),
    messageCount: Math.max(a.messageCount, b.messageCount),
    images: Math.max(a.images, b.images),
    hasTools: a.hasTools || b.hasTools,
  };
}
