import type { CanonicalFinishReason, CanonicalUsage, ChatChunk } from "@/lib/gateway/canonical";
import { usageToAnthropic } from "./response";
import { sseEvent } from "./sse";
import { toAnthropicStopReason } from "./stop-reason";
import type { AnthropicUsage } from "./types";

// Canonical (OpenAI) stream chunks → Anthropic's event stream
// (https://docs.anthropic.com/en/api/messages-streaming): message_start, then per content block
// content_block_start / content_block_delta… / content_block_stop, then message_delta (stop_reason,
// final usage) and message_stop. Blocks never interleave: a delta of another kind closes the open
// block and opens the next index. Every method returns the SSE text to write now ("" when none).
// Only choice 0 is read (Anthropic has no `n`); usage is given to finish(), not read from chunks.

type BlockKind = "text" | "thinking" | "tool_use";

interface OpenBlock {
  kind: BlockKind;
  index: number;
}

export interface ChatToMessagesStreamOptions {
  publicModel: string;
  messageId: string;
}

export class ChatToMessagesStream {
  private started = false;
  private ended = false;
  private open: OpenBlock | null = null;
  private nextIndex = 0;
  /** OpenAI tool-call index → Anthropic block index. */
  private toolBlocks = new Map<number, number>();
  private finishReason: CanonicalFinishReason | null = null;

  constructor(private readonly options: ChatToMessagesStreamOptions) {}

  /** message_start, once. `usage.input_tokens` may be an estimate; the final count comes with finish(). */
  start(usage: Partial<AnthropicUsage> = {}): string {
    if (this.started || this.ended) return "";
    this.started = true;
    return sseEvent("message_start", {
      message: {
        id: this.options.messageId,
        type: "message",
        role: "assistant",
        model: this.options.publicModel,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens ?? 0,
          output_tokens: 0,
          cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
          cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        },
      },
    });
  }

  push(chunk: ChatChunk): string {
    if (this.ended) return "";
    let out = this.start();
    const choice = chunk.choices?.find((c) => c.index === 0);
    if (!choice) return out; // the usage chunk (choices: []) or another choice
    const delta = choice.delta ?? {};
    // Empty strings are skipped: OpenAI's first chunk is {"role":"assistant","content":""}, which
    // must not open an empty text block.
    if (delta.reasoning_content) {
      out += this.textDelta("thinking", { type: "thinking_delta", thinking: delta.reasoning_content });
    }
    const text = delta.content || delta.refusal;
    if (text) out += this.textDelta("text", { type: "text_delta", text });
    for (const call of delta.tool_calls ?? []) {
      let index = this.toolBlocks.get(call.index);
      if (index === undefined) {
        out += this.closeBlock();
        index = this.nextIndex++;
        this.toolBlocks.set(call.index, index);
        this.open = { kind: "tool_use", index };
        out += sseEvent("content_block_start", {
          index,
          content_block: {
            type: "tool_use",
            id: call.id || `toolu_${this.options.messageId.replace(/^msg_/, "")}_${call.index}`,
            name: call.function?.name ?? "",
            input: {},
          },
        });
      }
      // Upstreams send one call's arguments before the next call starts; should one interleave,
      // the fragment still goes to its own block index, where the SDKs accumulate it.
      const args = call.function?.arguments;
      if (args)
        out += sseEvent("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: args } });
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  /** Closes the open block, then message_delta (stop_reason and final usage) and message_stop. */
  finish(usage: CanonicalUsage | null): string {
    if (this.ended) return "";
    let out = this.start();
    out += this.closeBlock();
    this.ended = true;
    // message_delta's usage is cumulative and final, input and cache counts included
    // (https://docs.anthropic.com/en/api/messages-streaming#event-types).
    const final = usageToAnthropic(usage);
    out += sseEvent("message_delta", {
      delta: { stop_reason: toAnthropicStopReason(this.finishReason, this.toolBlocks.size > 0), stop_sequence: null },
      usage: {
        output_tokens: final.output_tokens,
        input_tokens: final.input_tokens,
        cache_read_input_tokens: final.cache_read_input_tokens,
        cache_creation_input_tokens: final.cache_creation_input_tokens,
      },
    });
    return out + sseEvent("message_stop", {});
  }

  /**
   * An error after the stream began (the status is already 200): Anthropic's error event ends the
   * stream (https://docs.anthropic.com/en/api/messages-streaming#error-events). Open blocks are left
   * open, as Anthropic does; the SDKs throw on this event.
   */
  error(type: string, message: string): string {
    if (this.ended) return "";
    this.ended = true;
    return sseEvent("error", { error: { type, message } });
  }

  /** A keep-alive, e.g. while waiting for the upstream's first chunk (Anthropic sends these too). */
  ping(): string {
    return this.ended ? "" : sseEvent("ping", {});
  }

  /** A text or thinking delta, opening a block of that kind first when another kind is open. */
  private textDelta(kind: "text" | "thinking", delta: Record<string, unknown>): string {
    let out = "";
    if (this.open?.kind !== kind) {
      out += this.closeBlock();
      this.open = { kind, index: this.nextIndex++ };
      const block = kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" };
      out += sseEvent("content_block_start", { index: this.open.index, content_block: block });
    }
    return out + sseEvent("content_block_delta", { index: this.open.index, delta });
  }

  private closeBlock(): string {
    if (!this.open) return "";
    const index = this.open.index;
    this.open = null;
    return sseEvent("content_block_stop", { index });
  }
}
