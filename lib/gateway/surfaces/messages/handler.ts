import type { ChatRequest } from "../../chat-request";
import { bodyLimits, prepareChatBody } from "../../body-pool";
import { handleBilledRequest } from "../../pipeline";
import type { PreparedChatBody } from "../../prepared-body";
import { AnthropicPassthroughStream } from "../../providers/anthropic/passthrough";
import { parseJsonBytes } from "../../read-body";
import { CanonicalClientStream, type ChunkEncoder } from "../../relay/canonical-stream";
import { chatEndpoint } from "../../relay/chat-endpoint";
import type { ChargedUsage, InboundCodec } from "../../relay/codec";
import { promptBoundParts, type PromptBoundParts } from "../../tokens";
import { anthropicErrorEvent, anthropicErrorResponse } from "./errors";
import { messagesToChatRequest, parseMessagesRequest, type MessagesRequest } from "./request";
import { chatCompletionToMessage, messageIdFromCompletionId } from "./response";
import { ChatToMessagesStream } from "./stream";

// POST /v1/messages (Anthropic's Messages API) over the one billed relay. The body is decoded into
// the canonical chat request, so every model can serve it (deepseek-v3 through an OpenAI-compatible
// channel, …) and it is routed, limited, held and settled exactly like /v1/chat/completions. An
// Anthropic channel gets the client's own body instead (native: prompt caching, extended thinking and
// exact usage survive), and its answer goes back as it came, with only the model renamed.

interface MessagesBody {
  chat: PreparedChatBody;
  inbound: MessagesRequest;
}

const endpoint = {
  ...chatEndpoint<MessagesBody>({
    endpoint: "messages",
    prepare,
    chat: (body) => body.chat,
    codec: messagesCodec,
  }),
  renderError: anthropicErrorResponse,
};

export function handleMessages(request: Request): Promise<Response> {
  return handleBilledRequest(request, endpoint);
}

async function prepare(bytes: Buffer): Promise<MessagesBody> {
  const limits = bodyLimits();
  const inbound = parseMessagesRequest(parseJsonBytes(bytes, limits.maxDepth), limits);
  const canonical: ChatRequest = messagesToChatRequest(inbound);
  const chat = await prepareChatBody(Buffer.from(JSON.stringify(canonical)));
  // The hold covers either body: a native Anthropic channel is sent the client's own, which keeps
  // what the translation drops (earlier thinking blocks, cache markers).
  chat.promptBound = largerBound(chat.promptBound, promptBoundParts(inbound));
  return { chat, inbound };
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

function messagesCodec({ inbound }: MessagesBody): InboundCodec {
  const native = (format: string) => format === "anthropic-messages";
  return {
    nativeBody: (adapter) => (native(adapter.wireFormat) ? (inbound as Record<string, unknown>) : undefined),

    completionResponse({ answer, adapter, publicModel, usage, headers }) {
      const message: Record<string, unknown> = native(adapter.wireFormat)
        ? { ...answer.raw, model: publicModel }
        : { ...chatCompletionToMessage({ ...answer.completion, usage }, publicModel) };
      const withCost = { ...message, usage: { ...(message.usage as object), cost_usd: usage.cost_usd } };
      return Response.json(withCost, { headers: { ...headers, "request-id": headers["x-request-id"] ?? "" } });
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
