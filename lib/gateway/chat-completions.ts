import { prepareChatBody } from "./body-pool";
import { handleBilledRequest, type Authenticate } from "./pipeline";
import type { PreparedChatBody } from "./prepared-body";
import { chatEndpoint } from "./relay/chat-endpoint";
import { chatCodec } from "./surfaces/chat/codec";
import type { GatewayRequest, GatewayResponse } from "./http";

// POST /v1/chat/completions, streaming or not: the canonical surface, through the billed pipeline
// (pipeline.ts) and the one relay (relay/).

const endpoint = chatEndpoint<PreparedChatBody>({
  endpoint: "chat.completions",
  prepare: prepareChatBody,
  chat: (body) => body,
  codec: chatCodec,
});

export function handleChatCompletions(request: GatewayRequest, authenticate?: Authenticate): Promise<GatewayResponse> {
  return handleBilledRequest(request, endpoint, authenticate);
}
