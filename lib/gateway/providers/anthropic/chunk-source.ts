import type { ChunkSource } from "../adapter";
import { AnthropicStreamDecoder } from "./stream";

/** Anthropic's stream as canonical chunks, for the relay (stream.ts does the decoding). */
export class AnthropicChunkSource implements ChunkSource {
  private decoder: AnthropicStreamDecoder;

  constructor(publicModel: string) {
    this.decoder = new AnthropicStreamDecoder(publicModel);
  }

  push(text: string) {
    return this.decoder.push(text);
  }

  get done() {
    return this.decoder.finished;
  }

  get error() {
    const error = this.decoder.error;
    return error ? `upstream sent an error event (${error.type.slice(0, 60)})` : null;
  }

  get malformedEvents() {
    return this.decoder.malformedEvents;
  }
}
