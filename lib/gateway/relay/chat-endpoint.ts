import type { RequestLogRow } from "@/lib/billing/request-log";
import { routeAutoRequest } from "../auto/route-auto";
import { autoVariant } from "../auto/router";
import type { ChatRequest } from "../chat-request";
import type { BilledEndpoint } from "../pipeline";
import type { PreparedChatBody } from "../prepared-body";
import { chooseOutputCap, refusePriceRaisingFields } from "../providers/openai-compatible";
import { routedTo, routeModel } from "../route-model";
import { promptTokenUpperBoundFromParts } from "../tokens";
import type { InboundCodec } from "./codec";
import { relayChat } from "./relay";

// A billed endpoint whose request decodes into a canonical chat request: routing (`auto` included),
// the checks, the hold's bounds and the tokens-per-minute estimate all come from the canonical body,
// so every surface bills exactly like /v1/chat/completions.

export interface ChatSurface<B> {
  endpoint: RequestLogRow["endpoint"];
  /** Bytes → the surface's body, holding the canonical chat body (400 when malformed). */
  prepare(bytes: Buffer): Promise<B>;
  chat(body: B): PreparedChatBody;
  /** The codec answering this request. */
  codec(body: B): InboundCodec;
}

export function chatEndpoint<B>(surface: ChatSurface<B>): BilledEndpoint<B> {
  const head = (body: B) => surface.chat(body).head as ChatRequest;
  return {
    endpoint: surface.endpoint,
    kind: "CHAT",
    prepare: surface.prepare,
    modelId: (body) => head(body).model,
    isStream: (body) => Boolean(head(body).stream),
    route: async (key, body) => {
      const variant = autoVariant(head(body).model);
      return variant
        ? routeAutoRequest(key, surface.chat(body), variant)
        : routedTo(await routeModel(key, head(body).model, "CHAT"));
    },
    check: (body, model) => refusePriceRaisingFields(surface.chat(body), model.extraRequestFields),
    bounds: (body, model) => ({
      promptTokensUpperBound: promptTokenUpperBoundFromParts(surface.chat(body).promptBound, model.contextWindow, {
        imageTokens: model.maxImageTokens,
      }),
      outputTokensCap: chooseOutputCap(head(body), model).value,
      n: head(body).n ?? 1,
    }),
    tokenEstimate: (body, model) =>
      surface.chat(body).promptTokenEstimate + chooseOutputCap(head(body), model).value * (head(body).n ?? 1),
    relay: (context) => relayChat({ ...context, body: surface.chat(context.body) }, surface.codec(context.body)),
  };
}
