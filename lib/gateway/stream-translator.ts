import { createParser, type EventSourceParser } from "eventsource-parser";
import type { TokenCounts } from "@/lib/billing/money";
import { type GatewayError, sseErrorEvent } from "./errors";
import { countChunkDeltas, parseUsage } from "./providers/openai-compatible";
import type { ChargedUsage, ClientStream } from "./relay/codec";

// Reads an upstream OpenAI-style SSE stream and writes the client's: events pass through as they
// arrive (only the model name is rewritten to our public id), while we note usage and count the
// output deltas the upstream actually produced. The usage event and [DONE] are held back: they are
// written once the request is charged, with the cost.

export interface StreamStats {
  deltas: number; // output pieces received from upstream (≈ tokens)
  usage: TokenCounts | null;
  rawUsage: Record<string, unknown> | null;
  sawDone: boolean;
  sawFinish: boolean;
  upstreamError: string | null;
  malformedEvents: number;
  firstDeltaAt: number | null; // performance.now() of the first output delta
  lastChunkMeta: { id?: unknown; created?: unknown; system_fingerprint?: unknown } | null;
}

export function newStreamStats(): StreamStats {
  return {
    deltas: 0,
    usage: null,
    rawUsage: null,
    sawDone: false,
    sawFinish: false,
    upstreamError: null,
    malformedEvents: 0,
    firstDeltaAt: null,
    lastChunkMeta: null,
  };
}

/** One event of an OpenAI chat stream: [DONE], a chunk, an error event, or something malformed. */
export type OpenAiStreamEvent =
  { kind: "done" } | { kind: "malformed" } | { kind: "error" } | { kind: "chunk"; chunk: Record<string, unknown> };

export function readOpenAiStreamEvent(data: string): OpenAiStreamEvent {
  if (data === "[DONE]") return { kind: "done" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { kind: "malformed" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { kind: "malformed" };
  const chunk = parsed as Record<string, unknown>;
  return chunk.error ? { kind: "error" } : { kind: "chunk", chunk };
}

export class ChatStreamTranslator implements ClientStream {
  readonly stats: StreamStats = newStreamStats();
  private parser: EventSourceParser;
  private out: string[] = [];
  private decoder = new TextDecoder();
  private modelReplacement: string;

  constructor(
    private publicModel: string,
    private options: { includeUsage?: boolean } = {},
  ) {
    this.modelReplacement = `"model":${JSON.stringify(publicModel)}`;
    this.parser = createParser({ onEvent: (event) => this.onEvent(event.data) });
  }

  /** Feeds upstream bytes; returns the text to write to the client now ("" when nothing). */
  push(bytes: Uint8Array): string {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
    if (this.out.length === 0) return "";
    const text = this.out.join("");
    this.out = [];
    return text;
  }

  /** True when the upstream finished properly (it said [DONE], or at least finished and reported usage). */
  get completed(): boolean {
    return !this.stats.upstreamError && (this.stats.sawDone || (this.stats.sawFinish && this.stats.usage !== null));
  }

  private onEvent(data: string) {
    const event = readOpenAiStreamEvent(data);
    if (event.kind === "done") {
      this.stats.sawDone = true;
      return;
    }
    if (event.kind === "malformed") {
      this.stats.malformedEvents++; // a broken event from upstream is dropped, not forwarded
      return;
    }
    if (event.kind === "error") {
      this.stats.upstreamError = "upstream sent an error event";
      return;
    }
    const chunk = event.chunk;
    const deltas = countChunkDeltas(chunk as { choices?: Array<{ delta?: Record<string, unknown> }> });
    if (deltas > 0 && this.stats.firstDeltaAt === null) this.stats.firstDeltaAt = performance.now();
    this.stats.deltas += deltas;
    const choices = chunk.choices as Array<{ finish_reason?: unknown }> | undefined;
    if (choices?.some((c) => c.finish_reason)) this.stats.sawFinish = true;
    this.stats.lastChunkMeta = { id: chunk.id, created: chunk.created, system_fingerprint: chunk.system_fingerprint };

    const usage = parseUsage(chunk.usage);
    if (usage) {
      this.stats.usage = usage;
      this.stats.rawUsage = chunk.usage as Record<string, unknown>;
    }
    if (Array.isArray(choices) && choices.length === 0 && usage) return; // the usage event: written once charged
    if (usage) {
      // Usage riding on a content chunk (some providers): strip it, the final usage event carries it.
      delete chunk.usage;
      chunk.model = this.publicModel;
      this.out.push(`data: ${JSON.stringify(chunk)}\n\n`);
      return;
    }
    this.out.push(`data: ${this.withPublicModel(data, chunk)}\n\n`);
  }

  /**
   * The event with our public model id (upstreams answer with their own id or a dated snapshot).
   * The common case is one string replacement; only odd encodings and multi-line events (valid
   * SSE, joined by the parser with "\n") are re-encoded.
   */
  private withPublicModel(data: string, chunk: Record<string, unknown>): string {
    if (typeof chunk.model === "string" && chunk.model !== this.publicModel) {
      const replaced = data.replace(`"model":${JSON.stringify(chunk.model)}`, this.modelReplacement);
      if (replaced !== data && !replaced.includes("\n")) return replaced;
      chunk.model = this.publicModel;
      return JSON.stringify(chunk);
    }
    return data.includes("\n") ? JSON.stringify(chunk) : data;
  }

  /** Once charged: the usage event with the cost (when the client asked for usage), then [DONE]. */
  end(usage: ChargedUsage): string {
    return (this.options.includeUsage ? this.usageEvent(usage) : "") + "data: [DONE]\n\n";
  }

  fail(error: GatewayError): string {
    return sseErrorEvent(error);
  }

  /** The final usage event (OpenAI's shape: empty choices), with the cost we charged. */
  usageEvent(usage: Record<string, unknown>): string {
    const meta = this.stats.lastChunkMeta ?? {};
    return `data: ${JSON.stringify({
      id: meta.id,
      object: "chat.completion.chunk",
      created: meta.created ?? Math.floor(Date.now() / 1000),
      model: this.publicModel,
      ...(meta.system_fingerprint !== undefined ? { system_fingerprint: meta.system_fingerprint } : {}),
      choices: [],
      usage,
    })}\n\n`;
  }
}
