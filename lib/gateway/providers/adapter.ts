import type { Readable } from "node:stream";
import type { CatalogChannel, CatalogModel } from "../catalog";
import type { ChatChunk, ChatCompletion } from "../canonical";
import type { AttemptContext } from "../failover";
import type { PreparedChatBody } from "../prepared-body";
import type { ProviderId } from "./list";

// A provider adapter speaks one upstream wire format. The billed relay (relay/) calls it once per
// attempt and only ever sees canonical shapes (canonical.ts): it never knows which provider answered.

/** One attempt on one channel. */
export interface AdapterCall {
  channel: CatalogChannel;
  model: CatalogModel;
  /** The canonical request (OpenAI chat), prepared and validated. */
  body: PreparedChatBody;
  /** The output cap the hold covers: never send a larger one. */
  outputCap: number;
  attempt: AttemptContext;
  /**
   * The client's own body in this provider's wire format, when the inbound surface speaks it (an
   * Anthropic client on an Anthropic channel): sent as it is, so provider features the canonical
   * request cannot express (prompt caching, extended thinking) survive. Undefined otherwise.
   */
  native?: Pick<PreparedChatBody, "head" | "raw">;
}

/** A non-streaming answer: canonical, and the upstream's own body (for a native inbound surface). */
export interface AdapterAnswer {
  completion: ChatCompletion;
  raw: Record<string, unknown>;
}

/** An upstream stream whose first bytes have arrived (a stream that dies before them can fail over). */
export interface UpstreamStream {
  /** The bytes after `first`, paused until the relay reads them. */
  body: Readable;
  first: Uint8Array;
  close: () => void;
}

/** Turns the bytes of an upstream stream into canonical chunks. */
export interface ChunkSource {
  push(text: string): ChatChunk[];
  /** The upstream said the stream is complete ([DONE], message_stop …). */
  readonly done: boolean;
  /** The upstream sent an error event: the stream is over, unfinished. */
  readonly error: string | null;
  readonly malformedEvents: number;
}

/** The wire formats adapters speak; an inbound surface that speaks the same one is served natively. */
export type WireFormatId = "openai-chat" | "anthropic-messages";

export interface ProviderAdapter {
  readonly provider: ProviderId;
  readonly wireFormat: WireFormatId;
  complete(call: AdapterCall): Promise<AdapterAnswer>;
  openStream(call: AdapterCall): Promise<UpstreamStream>;
  /** Decodes this provider's stream bytes into canonical chunks (model renamed to `publicModel`). */
  chunkSource(publicModel: string): ChunkSource;
  /** The channel tester's one-token request: the upstream's status and body (network errors throw). */
  probe(channel: CatalogChannel, upstreamModel: string, signal: AbortSignal): Promise<ProbeAnswer>;
}

export interface ProbeAnswer {
  status: number;
  bodyText: string;
}
