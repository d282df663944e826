import type { ChatChunk } from "../canonical";
import type { GatewayError } from "../errors";
import type { ChunkSource } from "../providers/adapter";
import { countChunkDeltas, parseUsage } from "../providers/openai-compatible";
import { newStreamStats, type StreamStats } from "../stream-translator";
import type { ChargedUsage, ClientStream } from "./codec";

// A client stream built from two halves: the upstream's bytes decoded into canonical chunks (the
// provider adapter's ChunkSource), and canonical chunks encoded in the client's format (the inbound
// surface's ChunkEncoder). On the way it notes what billing needs, exactly as the OpenAI fast path
// (ChatStreamTranslator) does: output deltas, usage, the finish and the first delta's time.

export interface ChunkEncoder {
  /** A content chunk (never the usage-only chunk) → client text. */
  write(chunk: ChatChunk): string;
  end(usage: ChargedUsage): string;
  fail(error: GatewayError): string;
}

const decoder = () => new TextDecoder();

export class CanonicalClientStream implements ClientStream {
  readonly stats: StreamStats = newStreamStats();
  private text = decoder();

  constructor(
    private source: ChunkSource,
    private encoder: ChunkEncoder,
  ) {}

  push(bytes: Uint8Array): string {
    const chunks = this.source.push(this.text.decode(bytes, { stream: true }));
    this.stats.sawDone = this.source.done;
    this.stats.malformedEvents = this.source.malformedEvents;
    if (this.source.error) this.stats.upstreamError = this.source.error;
    let out = "";
    for (const chunk of chunks) out += this.onChunk(chunk);
    return out;
  }

  get completed(): boolean {
    return !this.stats.upstreamError && (this.stats.sawDone || (this.stats.sawFinish && this.stats.usage !== null));
  }

  end(usage: ChargedUsage): string {
    return this.encoder.end(usage);
  }

  fail(error: GatewayError): string {
    return this.encoder.fail(error);
  }

  private onChunk(chunk: ChatChunk): string {
    const deltas = countChunkDeltas(chunk);
    if (deltas > 0 && this.stats.firstDeltaAt === null) this.stats.firstDeltaAt = performance.now();
    this.stats.deltas += deltas;
    if (chunk.choices?.some((c) => c.finish_reason)) this.stats.sawFinish = true;
    this.stats.lastChunkMeta = { id: chunk.id, created: chunk.created, system_fingerprint: chunk.system_fingerprint };
    const usage = parseUsage(chunk.usage);
    if (usage) {
      this.stats.usage = usage;
      this.stats.rawUsage = chunk.usage as Record<string, unknown>;
    }
    if (!chunk.choices || chunk.choices.length === 0) return ""; // the usage chunk: the encoder's end() carries it
    if (usage) delete chunk.usage; // usage riding on a content chunk: the encoder's end() carries it
    return this.encoder.write(chunk);
  }
}
