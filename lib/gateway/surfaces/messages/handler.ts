import { prepareMessagesBody } from "../../body-pool";
import { handleBilledRequest } from "../../pipeline";
import { AnthropicPassthroughStream } from "../../providers/anthropic/passthrough";
import { CanonicalClientStream, type ChunkEncoder } from "../../relay/canonical-stream";
import { chatEndpoint } from "../../relay/chat-endpoint";
import type { ChargedUsage, InboundCodec } from "../../relay/codec";
import { anthropicErrorEvent, anthropicErrorResponse } from "./errors";
import type { PreparedMessagesBody } from "./prepare";
import { chatCompletionToMessage, messageIdFromCompletionId } from "./response";
import { ChatToMessagesStream } from "./stream";
import { GatewayResponse, type GatewayRequest } from "../../http";

// POST /v1/messages (Anthropic's Messages API) over the one billed relay. The body is decoded into
// the canonical chat request, so every model can serve it (deepseek-v3 through an OpenAI-compatible
// channel, …) and it is routed, limited, held and settled exactly like /v1/chat/completions. An
// Anthropic channel gets the client's own body instead (native: prompt caching, extended thinking and
// exact usage survive), and its answer goes back as it came, with only the model renamed.

const endpoint = {
  ...chatEndpoint<PreparedMessagesBody>({
    endpoint: "messages",
    prepare: prepareMessagesBody,
    chat: (body) => body.chat,
    codec: messagesCodec,
  }),
  renderError: anthropicErrorResponse,
};

export function handleMessages(request: GatewayRequest): Promise<GatewayResponse> {
  return handleBilledRequest(request, endpoint);
}

function messagesCodec(body: PreparedMessagesBody): InboundCodec {
  const native = (format: string) => format === "anthropic-messages";
  return {
    nativeBody: (adapter) => (native(adapter.wireFormat) ? body.native : undefined),

    completionResponse({ answer, adapter, publicModel, usage, headers }) {
      const message: Record<string, unknown> = native(adapter.wireFormat)
        ? { ...answer.raw, model: publicModel }
        : { ...chatCompletionToMessage({ ...answer.completion, usage }, publicModel) };
      const withCost = { ...message, usage: { ...(message.usage as object), cost_usd: usage.cost_usd } };
      return GatewayResponse.json(withCost, { headers: { ...headers, "request-id": headers["x-request-id"] ?? "" } });
    },

    clientStream({ adapter, publicModel }) {
      if (native(adapter.wireFormat)) return new AnthropicPassthroughStream(publicModel);
      return new CanonicalClientStream(adapter.chunkSource(publicModel), new MessagesChunkEncoder(publicModel));
    },
  };
}

/** Canonical chunks → Anthropic's stream events. */
class MessagesChunkEncoder implements ChunkEncoder {
  private stream: ChatToMessagesStream | null = null;

  constructor(private publicModel: string) {}

  private of(id: string): ChatToMessagesStream {
    this.stream ??= new ChatToMessagesStream({
      publicModel: this.publicModel,
      messageId: messageIdFromCompletionId(id),
    });
    return this.stream;
  }

  write(chunk: Parameters<ChatToMessagesStream["push"]>[0]): string {
    return this.of(chunk.id ?? "").push(chunk);
  }

  end(usage: ChargedUsage): string {
    return this.of("").finish(usage);
  }

  fail(error: unknown): string {
    return anthropicErrorEvent(error);
  }
}
