import type { CatalogChannel } from "../../catalog";
import type { ChatRequest } from "../../chat-request";
import { materializeBody, upstreamJsonBytes } from "../../prepared-body";
import { upstreamModelName } from "../../route-model";
import { openUpstreamStream, postUpstream, postUpstreamJson, readUpstreamBody, type WireFormat } from "../../upstream";
import type { AdapterCall, ProviderAdapter } from "../adapter";
import { failureFromAnthropicStatus } from "./errors";
import { toAnthropicRequest } from "./request";
import { fromAnthropicMessage } from "./response";
import { AnthropicChunkSource } from "./chunk-source";
import type { AnthropicMessage } from "./types";

// Anthropic's Messages API (https://docs.anthropic.com/en/api/messages). The channel's base URL
// goes up to /v1 (https://api.anthropic.com/v1); requests carry the key in x-api-key and the API
// version in anthropic-version (https://docs.anthropic.com/en/api/versioning).

const ANTHROPIC_VERSION = "2023-06-01";

/** Anthropic's credential headers for a channel (every call to its API sends them). */
export function anthropicAuth(channel: CatalogChannel): Record<string, string> {
  return { ...(channel.apiKey ? { "x-api-key": channel.apiKey } : {}), "anthropic-version": ANTHROPIC_VERSION };
}

const ANTHROPIC_WIRE: WireFormat = { auth: anthropicAuth, failure: failureFromAnthropicStatus };

/**
 * Top-level fields of a native (Anthropic client) body sent to Anthropic; anything else (MCP
 * servers, containers, context management …) could be billed outside our price table and is dropped.
 * `max_tokens`, `model` and `stream` are ours to set.
 */
const NATIVE_FIELDS = new Set([
  "messages",
  "system",
  "metadata",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "service_tier", // only "auto" / "standard_only" pass validation
]);

export const anthropicAdapter: ProviderAdapter = {
  provider: "anthropic",
  wireFormat: "anthropic-messages",

  async complete(call) {
    const raw = await postUpstreamJson(
      call.channel,
      "/messages",
      requestBody(call, false),
      call.attempt,
      ANTHROPIC_WIRE,
    );
    return { completion: fromAnthropicMessage(raw as unknown as AnthropicMessage, call.model.id), raw };
  },

  openStream(call) {
    return openUpstreamStream(call.channel, "/messages", requestBody(call, true), call.attempt, ANTHROPIC_WIRE);
  },

  chunkSource: (publicModel) => new AnthropicChunkSource(publicModel),

  async probe(channel, upstreamModel, signal) {
    const body = { model: upstreamModel, max_tokens: 1, messages: [{ role: "user", content: "ping" }] };
    const response = await postUpstream(channel, "/messages", body, {
      signal,
      headersTimeoutMs: 60_000,
      auth: anthropicAuth(channel),
    });
    return { status: response.status, bodyText: await readUpstreamBody(response.body, 1024 * 1024) };
  },
};

function requestBody(call: AdapterCall, stream: boolean): Buffer | Record<string, unknown> {
  const model = upstreamModelName(call.channel, call.model.id);
  if (call.native) {
    // The client's own bytes for its large fields (never parsed again), our model and cap.
    return upstreamJsonBytes(call.native, {
      keep: (name) => NATIVE_FIELDS.has(name) || call.model.extraRequestFields.has(name),
      set: { model, max_tokens: call.outputCap, stream },
    });
  }
  const request = materializeBody(call.body) as ChatRequest;
  const body = toAnthropicRequest(request, {
    upstreamModel: model,
    maxTokens: call.outputCap,
    stream,
    reasoning: call.model.supportsReasoning,
  }) as unknown as Record<string, unknown>;
  // The fields an admin allowed for this model beyond the translation (as on OpenAI-compatible channels).
  for (const name of call.model.extraRequestFields) {
    if (name in request && !(name in body)) body[name] = (request as Record<string, unknown>)[name];
  }
  return body;
}
