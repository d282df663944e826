// Anthropic's streamed Message (https://docs.anthropic.com/en/api/messages-streaming) → canonical
// chat.completion.chunk objects. Pure: text in, chunks out; the caller owns the sockets.
//
// The event flow: message_start, then per content block content_block_start, content_block_delta…,
// content_block_stop, then message_delta (stop_reason, cumulative usage) and message_stop; ping
// events may come anywhere, and an `error` event (e.g. overloaded_error) can end a stream that
// already answered 200.
import { createParser, type EventSourceParser } from "eventsource-parser";
import type { CanonicalDelta, CanonicalFinishReason, CanonicalUsage, ChatChunk } from "../../canonical";
import { isRecord } from "../../request-validation";
import type { AnthropicErrorDetail, AnthropicUsage } from "./types";
import { finishReasonOf, toCanonicalUsage } from "./usage";

const USAGE_FIELDS = [
  "input_tokens",
  "output_tokens",
  "cache_read_input_tokens",
  "cache_creation_input_tokens",
] as const;

export class AnthropicStreamDecoder {
  /** Events that were not a JSON object with a `type`: dropped, counted for the logs. */
  malformedEvents = 0;

  private readonly parser: EventSourceParser;
  private readonly created = Math.floor(Date.now() / 1000);
  private out: ChatChunk[] = [];
  private id: string | null = null;
  private rawUsage: AnthropicUsage | null = null;
  private isFinished = false;
  private streamError: AnthropicErrorDetail | null = null;
  /** content block index → tool-call ordinal (OpenAI numbers tool calls 0, 1, … among themselves). */
  private toolIndexes = new Map<number, number>();

  constructor(private readonly publicModel: string) {
    this.parser = createParser({ onEvent: (event) => this.onEvent(event.data) });
  }

  /** Feeds raw SSE text (split anywhere); returns the chunks it completes, in order. */
  push(text: string): ChatChunk[] {
    this.parser.feed(text);
    const chunks = this.out;
    this.out = [];
    return chunks;
  }

  /** Usage so far (input and cache counts from message_start, output from the latest message_delta). */
  get usage(): CanonicalUsage | null {
    return this.rawUsage ? toCanonicalUsage(this.rawUsage) : null;
  }

  /** True once message_stop arrived: the message is complete. */
  get finished(): boolean {
    return this.isFinished;
  }

  /** The upstream's mid-stream error event, if one came (its message is for logs only). */
  get error(): AnthropicErrorDetail | null {
    return this.streamError;
  }

  get messageId(): string | null {
    return this.id;
  }

  private onEvent(data: string): void {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      event = undefined;
    }
    if (!isRecord(event) || typeof event.type !== "string") {
      this.malformedEvents++;
      return;
    }
    switch (event.type) {
      case "message_start":
        return this.onMessageStart(event);
      case "content_block_start":
        return this.onBlockStart(event);
      case "content_block_delta":
        return this.onBlockDelta(event);
      case "message_delta":
        return this.onMessageDelta(event);
      case "message_stop":
        this.isFinished = true;
        // The OpenAI include_usage shape: one last chunk with no choices and the usage.
        if (this.rawUsage) this.out.push({ ...this.chunkBase(), choices: [], usage: this.usage });
        return;
      case "error": {
        const error = isRecord(event.error) ? event.error : {};
        this.streamError = {
          type: typeof error.type === "string" ? error.type : "unknown_error",
          message: typeof error.message === "string" ? error.message : "",
        };
        return;
      }
      // ping, content_block_stop and event types added later: nothing to say. Anthropic documents
      // that new event types may appear and should be ignored
      // (https://docs.anthropic.com/en/api/messages-streaming#other-events).
      default:
        return;
    }
  }

  private onMessageStart(event: Record<string, unknown>): void {
    const message = isRecord(event.message) ? event.message : {};
    if (typeof message.id === "string") this.id = message.id;
    if (isRecord(message.usage)) this.updateUsage(message.usage);
    this.emit({ role: "assistant", content: "" });
  }

  private onBlockStart(event: Record<string, unknown>): void {
    const block = isRecord(event.content_block) ? event.content_block : {};
    const index = typeof event.index === "number" ? event.index : -1;
    if (block.type === "tool_use") {
      const ordinal = this.toolIndexes.size;
      this.toolIndexes.set(index, ordinal);
      this.emit({
        tool_calls: [
          {
            index: ordinal,
            id: typeof block.id === "string" ? block.id : "",
            type: "function",
            function: { name: typeof block.name === "string" ? block.name : "", arguments: "" },
          },
        ],
      });
    } else if (block.type === "text" && typeof block.text === "string" && block.text.length > 0) {
      this.emit({ content: block.text }); // the start block is documented empty, but may not be
    }
  }

  private onBlockDelta(event: Record<string, unknown>): void {
    const delta = isRecord(event.delta) ? event.delta : {};
    switch (delta.type) {
      case "text_delta":
        if (typeof delta.text === "string" && delta.text.length > 0) this.emit({ content: delta.text });
        return;
      case "thinking_delta":
        if (typeof delta.thinking === "string" && delta.thinking.length > 0) {
          this.emit({ reasoning_content: delta.thinking });
        }
        return;
      case "input_json_delta": {
        // Tool input arrives as partial JSON strings, the first often empty
        // (https://docs.anthropic.com/en/api/messages-streaming#input-json-delta).
        const ordinal = typeof event.index === "number" ? this.toolIndexes.get(event.index) : undefined;
        if (ordinal === undefined || typeof delta.partial_json !== "string" || delta.partial_json.length === 0) return;
        this.emit({ tool_calls: [{ index: ordinal, function: { arguments: delta.partial_json } }] });
        return;
      }
      // signature_delta (the thinking block's signature, for replaying it to Anthropic only) and
      // citations_delta have no OpenAI counterpart.
      default:
        return;
    }
  }

  private onMessageDelta(event: Record<string, unknown>): void {
    // message_delta usage is cumulative, and may restate the input and cache counts
    // (https://docs.anthropic.com/en/api/messages-streaming#event-types): the latest non-null wins.
    if (isRecord(event.usage)) this.updateUsage(event.usage);
    const delta = isRecord(event.delta) ? event.delta : {};
    const reason = finishReasonOf(typeof delta.stop_reason === "string" ? delta.stop_reason : null);
    if (reason) this.emit({}, reason);
  }

  private updateUsage(usage: Record<string, unknown>): void {
    const next: AnthropicUsage = this.rawUsage ? { ...this.rawUsage } : { input_tokens: 0, output_tokens: 0 };
    for (const field of USAGE_FIELDS) {
      const value = usage[field];
      if (typeof value === "number" && Number.isFinite(value)) next[field] = value;
    }
    this.rawUsage = next;
  }

  private chunkBase(): { id: string; object: "chat.completion.chunk"; created: number; model: string } {
    return {
      id: `chatcmpl-${this.id ?? "anthropic"}`,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.publicModel,
    };
  }

  private emit(delta: CanonicalDelta, finishReason: CanonicalFinishReason | null = null): void {
    this.out.push({ ...this.chunkBase(), choices: [{ index: 0, delta, finish_reason: finishReason }] });
  }
}
