import { createParser, type EventSourceParser } from "eventsource-parser";
import type { ChatChunk, ChatCompletion } from "../canonical";
import { openUpstreamStream, postUpstream, postUpstreamJson, readUpstreamBody } from "../upstream";
import { upstreamModelName } from "../route-model";
import { readOpenAiStreamEvent } from "../stream-translator";
import type { AdapterCall, ChunkSource, ProviderAdapter } from "./adapter";
import { buildUpstreamChatBody } from "./openai-compatible";

// The adapter of every OpenAI-compatible upstream: the canonical request is its wire format, so the
// body goes out as the client's bytes (allow-listed, model and cap set) and answers come back as they are.

export const openAiCompatibleAdapter: ProviderAdapter = {
  provider: "openai",
  wireFormat: "openai-chat",

  async complete(call) {
    const raw = await postUpstreamJson(call.channel, "/chat/completions", upstreamBody(call), call.attempt);
    return { completion: raw as unknown as ChatCompletion, raw };
  },

  openStream(call) {
    return openUpstreamStream(call.channel, "/chat/completions", upstreamBody(call), call.attempt);
  },

  chunkSource: () => new OpenAiChunkSource(),

  async probe(channel, upstreamModel, signal) {
    const body = {
      model: upstreamModel,
      messages: [{ role: "user", content: "ping" }],
      [channel.outputCapField]: 1, // the field this upstream honours (o-series models refuse max_tokens)
      stream: false,
    };
    const response = await postUpstream(channel, "/chat/completions", body, { signal, headersTimeoutMs: 60_000 });
    return { status: response.status, bodyText: await readUpstreamBody(response.body, 1024 * 1024) };
  },
};

/** The body for one channel: the cap the hold covers, in the field this model (or else this channel) honours. */
function upstreamBody({ channel, model, body, outputCap }: AdapterCall): Buffer {
  const field = model.outputCapField ?? channel.outputCapField;
  return buildUpstreamChatBody(
    body,
    upstreamModelName(channel, model.id),
    { field, value: outputCap },
    model.extraRequestFields,
  );
}

/** OpenAI chat SSE → canonical chunks (they already are: only parsed). */
export class OpenAiChunkSource implements ChunkSource {
  done = false;
  error: string | null = null;
  malformedEvents = 0;
  private parser: EventSourceParser;
  private out: ChatChunk[] = [];

  constructor() {
    this.parser = createParser({ onEvent: (event) => this.onEvent(event.data) });
  }

  push(text: string): ChatChunk[] {
    this.parser.feed(text);
    const chunks = this.out;
    this.out = [];
    return chunks;
  }

  private onEvent(data: string) {
    const event = readOpenAiStreamEvent(data);
    if (event.kind === "done") this.done = true;
    else if (event.kind === "malformed") this.malformedEvents++;
    else if (event.kind === "error") this.error = "upstream sent an error event";
    else this.out.push(event.chunk as ChatChunk);
  }
}
