import type { ChatChunk, ChatCompletion } from "../../canonical";
import type { ChatRequest } from "../../chat-request";
import { sseErrorEvent } from "../../errors";
import type { PreparedChatBody } from "../../prepared-body";
import { CanonicalClientStream, type ChunkEncoder } from "../../relay/canonical-stream";
import type { ChargedUsage, InboundCodec } from "../../relay/codec";
import { ChatStreamTranslator } from "../../stream-translator";
import { GatewayResponse } from "../../http";

// /v1/chat/completions speaks the canonical format itself: an OpenAI-compatible upstream's answer
// passes through with only the model renamed and the cost added; other providers' canonical chunks
// are written as OpenAI chunks.

export function chatCodec(body: PreparedChatBody): InboundCodec {
  const includeUsage = (body.head as ChatRequest).stream_options?.include_usage === true;
  return {
    completionResponse({ answer, publicModel, usage, headers }) {
      const completion: ChatCompletion = answer.completion;
      completion.model = publicModel;
      completion.usage = usage;
      return GatewayResponse.json(completion, { headers });
    },
    clientStream({ adapter, publicModel }) {
      // The fast path: OpenAI's stream in, OpenAI's stream out, events passed through as bytes.
      if (adapter.wireFormat === "openai-chat") return new ChatStreamTranslator(publicModel, { includeUsage });
      return new CanonicalClientStream(
        adapter.chunkSource(publicModel),
        new ChatChunkEncoder(publicModel, includeUsage),
      );
    },
  };
}

/** Canonical chunks → OpenAI chat SSE events. */
export class ChatChunkEncoder implements ChunkEncoder {
  private last: Pick<ChatChunk, "id" | "created"> | null = null;

  constructor(
    private publicModel: string,
    private includeUsage: boolean,
  ) {}

  write(chunk: ChatChunk): string {
    this.last = { id: chunk.id, created: chunk.created };
    return `data: ${JSON.stringify({ ...chunk, model: this.publicModel })}\n\n`;
  }

  end(usage: ChargedUsage): string {
    const usageEvent = this.includeUsage
      ? `data: ${JSON.stringify({
          id: this.last?.id,
          object: "chat.completion.chunk",
          created: this.last?.created ?? Math.floor(Date.now() / 1000),
          model: this.publicModel,
          choices: [],
          usage,
        })}\n\n`
      : "";
    return usageEvent + "data: [DONE]\n\n";
  }

  fail(error: Parameters<typeof sseErrorEvent>[0]): string {
    return sseErrorEvent(error);
  }
}
