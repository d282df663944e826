import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import type { GatewayError } from "../../errors";
import { anthropicErrorEvent } from "../../surfaces/messages/errors";
import type { ChargedUsage, ClientStream } from "../../relay/codec";
import { CanonicalClientStream, type ChunkEncoder } from "../../relay/canonical-stream";
import { AnthropicChunkSource } from "./chunk-source";

// An Anthropic client served by an Anthropic channel: the upstream's events pass through as they
// came (thinking signatures, cache counts and all), with the model renamed to our public id. The
// closing message_delta and message_stop are held back until the request is settled, so the final
// usage can carry the cost, as on every other surface. Billing reads the same events through the
// canonical decoder.

export class AnthropicPassthroughStream implements ClientStream {
  private events: EventSourceParser;
  private counted: CanonicalClientStream;
  private out = "";
  private heldDelta: Record<string, unknown> | null = null;
  private text = new TextDecoder();

  constructor(private publicModel: string) {
    const discard: ChunkEncoder = { write: () => "", end: () => "", fail: () => "" };
    this.counted = new CanonicalClientStream(new AnthropicChunkSource(publicModel), discard);
    this.events = createParser({ onEvent: (event) => this.onEvent(event) });
  }

  get stats() {
    return this.counted.stats;
  }

  get completed() {
    return this.counted.completed;
  }

  push(bytes: Uint8Array): string {
    this.counted.push(bytes);
    this.events.feed(this.text.decode(bytes, { stream: true }));
    const out = this.out;
    this.out = "";
    return out;
  }

  end(usage: ChargedUsage): string {
    const delta = this.heldDelta ?? { type: "message_delta", delta: { stop_reason: null, stop_sequence: null } };
    const withCost = { ...delta, usage: { ...((delta.usage as object) ?? {}), cost_usd: usage.cost_usd } };
    return event("message_delta", withCost) + event("message_stop", { type: "message_stop" });
  }

  fail(error: GatewayError): string {
    return anthropicErrorEvent(error);
  }

  private onEvent({ event: name, data }: EventSourceMessage) {
    const type = name ?? "message";
    if (type === "error" || type === "message_stop") return; // ours to write (fail / end)
    if (type === "message_delta" || type === "message_start") {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(data) as Record<string, unknown>;
      } catch {
        return; // counted as malformed by the decoder
      }
      if (type === "message_delta") {
        this.heldDelta = parsed;
        return;
      }
      const message = (parsed.message ?? {}) as Record<string, unknown>;
      this.out += event(type, { ...parsed, message: { ...message, model: this.publicModel } });
      return;
    }
    this.out += `event: ${type}\ndata: ${data}\n\n`;
  }
}

function event(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
