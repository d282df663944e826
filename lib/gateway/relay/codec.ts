import type { CanonicalUsage } from "../canonical";
import type { GatewayError } from "../errors";
import type { AdapterAnswer, AdapterCall, ProviderAdapter } from "../providers/adapter";
import type { StreamStats } from "../stream-translator";
import type { GatewayResponse } from "../http";

// An inbound surface (/v1/chat/completions, /v1/messages, /v1/responses) is a codec over the one
// billed relay: its request was decoded into the canonical one before the relay starts; the codec
// encodes the canonical answer (or the upstream's own, when it speaks the surface's format) for the client.

/** Canonical usage as charged: with the cost, in decimal USD. */
export type ChargedUsage = CanonicalUsage & { cost_usd: string };

export interface CompletionArgs {
  answer: AdapterAnswer;
  adapter: ProviderAdapter;
  publicModel: string;
  usage: ChargedUsage;
  headers: Record<string, string>;
}

export interface StreamArgs {
  adapter: ProviderAdapter;
  publicModel: string;
}

export interface InboundCodec {
  /** The client's body in `adapter`'s wire format, when this surface speaks it natively (sent as it is). */
  nativeBody?(adapter: ProviderAdapter): AdapterCall["native"];
  /** A non-streaming answer, once charged (its cost known; the settlement lands just after). */
  completionResponse(args: CompletionArgs): GatewayResponse;
  /** Translates the upstream's stream bytes into the client's stream. */
  clientStream(args: StreamArgs): ClientStream;
}

/** Upstream stream bytes in, client stream text out, with what billing needs to know on the way. */
export interface ClientStream {
  /** Feeds upstream bytes; returns the text to write to the client now ("" when nothing). */
  push(bytes: Uint8Array): string;
  readonly stats: StreamStats;
  /** The upstream finished properly. */
  readonly completed: boolean;
  /** The closing events of a completed stream, once it is charged. */
  end(usage: ChargedUsage): string;
  /** The closing events of a stream cut short (billed for what was produced). */
  fail(error: GatewayError): string;
}
