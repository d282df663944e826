import type { CanonicalFinishReason, CanonicalToolCallDelta, CanonicalUsage, ChatChunk } from "@/lib/gateway/canonical";
import { ERRORS } from "@/lib/gateway/errors";
import type { ResponsesRequest } from "./request";
import { buildResponse, fallbackCallId, finishStatus, itemId, usageToResponses } from "./response";
import type {
  FunctionCallOutputItemResult,
  MessageOutputItem,
  OutputItem,
  OutputRefusalContent,
  OutputTextContent,
  ReasoningOutputItem,
} from "./types";

// Canonical chat chunks re-encoded as a Responses event stream, in OpenAI's format: every event is
// `event: <type>\ndata: <json>\n\n`, its JSON carries `type` and a `sequence_number` counting from 0.
//
//   start   → response.created, response.in_progress
//   deltas  → output items, each announced (response.output_item.added), filled with deltas and
//             closed (… .done, response.output_item.done): reasoning as a reasoning item's summary,
//             text (and refusals) as a message item's parts, each tool call as a function_call item
//   finish  → the open items closed in output order, then response.completed (or
//             response.incomplete when the output was cut by max_output_tokens or a content
//             filter), carrying the whole Response, identical to chatCompletionToResponse's
//   error   → response.failed, then an `error` event (see error())
//
// Items follow one another as OpenAI's do: reasoning and message items are closed as soon as
// another item begins. Function calls stay open until finish, since a chat upstream may
// interleave the argument deltas of parallel calls.

interface ToolCallState {
  callId: string | null;
  name: string;
  pendingArguments: string;
  /** Set once announced (response.output_item.added): when its name is known, or at finish. */
  outputIndex: number | null;
}

export class ChatToResponsesStream {
  private sequence = 0;
  private started = false;
  private ended = false;
  private readonly output: OutputItem[] = [];
  private readonly open = new Set<number>();
  private openReasoning: number | null = null;
  private openMessage: number | null = null;
  private readonly toolCalls = new Map<number, ToolCallState>();
  private finishReason: CanonicalFinishReason | null = null;
  private out: string[] = [];

  constructor(
    private readonly context: {
      responseId: string;
      createdAt: number;
      publicModel: string;
      request: ResponsesRequest;
    },
  ) {}

  /** response.created and response.in_progress. Called by the first push/finish/error when not called before. */
  start(): string {
    this.begin();
    return this.flush();
  }

  /** One upstream chunk; returns the events it makes ("" when none). Only choice 0 is read. */
  push(chunk: ChatChunk): string {
    if (this.ended) return "";
    this.begin();
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (typeof delta.reasoning_content === "string" && delta.reasoning_content) {
        this.reasoningDelta(delta.reasoning_content);
      }
      if (typeof delta.content === "string" && delta.content) this.messageDelta("output_text", delta.content);
      if (typeof delta.refusal === "string" && delta.refusal) this.messageDelta("refusal", delta.refusal);
      for (const call of delta.tool_calls ?? []) this.toolCallDelta(call);
      if (choice.finish_reason) this.finishReason ??= choice.finish_reason;
    }
    return this.flush();
  }

  /**
   * Closes the open items and ends with response.completed (or response.incomplete) carrying the
   * whole Response with `usage` and `cost_usd`. Call it when the upstream finished properly.
   */
  finish(usage: CanonicalUsage | null, costUsd: string): string {
    if (this.ended) return "";
    this.begin();
    for (const [, call] of [...this.toolCalls].sort(([a], [b]) => a - b)) {
      if (call.outputIndex === null) this.announceToolCall(call); // never named: announced now, as it stands
    }
    const { status, incomplete_details } = finishStatus(this.finishReason);
    const last = this.output.length - 1;
    for (const index of [...this.open].sort((a, b) => a - b)) {
      this.close(index, status === "incomplete" && index === last ? "incomplete" : "completed");
    }
    const response = buildResponse(this.context, {
      status,
      incomplete_details,
      output: this.output,
      usage: usageToResponses(usage, costUsd),
    });
    this.emit(status === "incomplete" ? "response.incomplete" : "response.completed", { response });
    this.ended = true;
    return this.flush();
  }

  /**
   * The stream failed after it began (the status is already 200): response.failed with the
   * Response as it stands (status "failed", error {code, message}), then an `error` event.
   *
   * response.failed alone is not enough: the OpenAI SDKs treat it as an ordinary event, so
   * `openai.responses.stream(…).finalResponse()` would resolve with a failed response that
   * callers rarely check. The SDKs throw (APIError, with our message) on an event whose data has
   * an `error` object, so the `error` event carries OpenAI's documented fields (code, message,
   * param) and the same as a nested `error` {type, code, message, param}, the envelope of every
   * other TokenFlow error. response.failed goes first so that raw-SSE clients waiting for a
   * terminal response event get one and SDK snapshots hold the failed response when they throw.
   */
  error(code: string, message: string): string {
    if (this.ended) return "";
    this.begin();
    for (const index of this.open) {
      const item = this.output[index];
      if (item.type !== "reasoning") item.status = "incomplete";
    }
    this.open.clear();
    const response = buildResponse(this.context, {
      status: "failed",
      output: this.output,
      error: { code, message },
    });
    this.emit("response.failed", { response });
    const type = Object.values(ERRORS).find((spec) => spec.code === code)?.type ?? "api_error";
    this.emit("error", { code, message, param: null, error: { type, code, message, param: null } });
    this.ended = true;
    return this.flush();
  }

  // -------------------------------------------------------------------------------------------

  private begin() {
    if (this.started || this.ended) return;
    this.started = true;
    const response = buildResponse(this.context, { status: "in_progress", output: [] });
    this.emit("response.created", { response });
    this.emit("response.in_progress", { response });
  }

  private reasoningDelta(text: string) {
    if (this.openReasoning === null) {
      this.closeMessage();
      const outputIndex = this.output.length;
      const item: ReasoningOutputItem = {
        type: "reasoning",
        id: itemId("rs", this.context.responseId, outputIndex),
        summary: [],
      };
      this.addItem(item);
      const part = { type: "summary_text" as const, text: "" };
      this.emit("response.reasoning_summary_part.added", {
        item_id: item.id,
        output_index: outputIndex,
        summary_index: 0,
        part,
      });
      item.summary.push(part);
      this.openReasoning = outputIndex;
    }
    const outputIndex = this.openReasoning;
    const item = this.output[outputIndex] as ReasoningOutputItem;
    item.summary[0].text += text;
    this.emit("response.reasoning_summary_text.delta", {
      item_id: item.id,
      output_index: outputIndex,
      summary_index: 0,
      delta: text,
    });
  }

  private messageDelta(kind: "output_text" | "refusal", text: string) {
    if (this.openMessage === null) {
      this.closeReasoning();
      const outputIndex = this.output.length;
      const item: MessageOutputItem = {
        type: "message",
        id: itemId("msg", this.context.responseId, outputIndex),
        status: "in_progress",
        role: "assistant",
        content: [],
      };
      this.addItem(item);
      this.openMessage = outputIndex;
    }
    const outputIndex = this.openMessage;
    const item = this.output[outputIndex] as MessageOutputItem;
    let contentIndex = item.content.findIndex((part) => part.type === kind);
    if (contentIndex === -1) {
      contentIndex = item.content.length;
      const part: OutputTextContent | OutputRefusalContent =
        kind === "output_text"
          ? { type: "output_text", text: "", annotations: [], logprobs: [] }
          : { type: "refusal", refusal: "" };
      this.emit("response.content_part.added", {
        item_id: item.id,
        output_index: outputIndex,
        content_index: contentIndex,
        part,
      });
      item.content.push(part);
    }
    const part = item.content[contentIndex];
    if (part.type === "output_text") {
      part.text += text;
      this.emit("response.output_text.delta", {
        item_id: item.id,
        output_index: outputIndex,
        content_index: contentIndex,
        delta: text,
        logprobs: [],
      });
    } else {
      part.refusal += text;
      this.emit("response.refusal.delta", {
        item_id: item.id,
        output_index: outputIndex,
        content_index: contentIndex,
        delta: text,
      });
    }
  }

  private toolCallDelta(delta: CanonicalToolCallDelta) {
    const index = typeof delta.index === "number" ? delta.index : 0;
    let call = this.toolCalls.get(index);
    if (!call) {
      call = { callId: null, name: "", pendingArguments: "", outputIndex: null };
      this.toolCalls.set(index, call);
    }
    if (delta.id && !call.callId) call.callId = delta.id;
    // The id and name come whole in the first delta (some upstreams repeat them in every delta: the first is kept).
    if (delta.function?.name && !call.name) call.name = delta.function.name;
    const args = delta.function?.arguments ?? "";
    if (call.outputIndex === null) {
      call.pendingArguments += args;
      if (call.name) this.announceToolCall(call);
      return;
    }
    if (args) this.argumentsDelta(call.outputIndex, args);
  }

  private announceToolCall(call: ToolCallState) {
    this.closeReasoning();
    this.closeMessage();
    const outputIndex = this.output.length;
    const item: FunctionCallOutputItemResult = {
      type: "function_call",
      id: itemId("fc", this.context.responseId, outputIndex),
      call_id: call.callId ?? fallbackCallId(this.context.responseId, outputIndex),
      name: call.name,
      arguments: "",
      status: "in_progress",
    };
    this.addItem(item);
    call.outputIndex = outputIndex;
    if (call.pendingArguments) this.argumentsDelta(outputIndex, call.pendingArguments);
    call.pendingArguments = "";
  }

  private argumentsDelta(outputIndex: number, delta: string) {
    const item = this.output[outputIndex] as FunctionCallOutputItemResult;
    item.arguments += delta;
    this.emit("response.function_call_arguments.delta", { item_id: item.id, output_index: outputIndex, delta });
  }

  private addItem(item: OutputItem) {
    const outputIndex = this.output.length;
    this.output.push(item);
    this.open.add(outputIndex);
    this.emit("response.output_item.added", { output_index: outputIndex, item });
  }

  private closeReasoning() {
    if (this.openReasoning !== null) this.close(this.openReasoning, "completed");
  }

  private closeMessage() {
    if (this.openMessage !== null) this.close(this.openMessage, "completed");
  }

  private close(outputIndex: number, status: "completed" | "incomplete") {
    const item = this.output[outputIndex];
    const ids = { item_id: item.id, output_index: outputIndex };
    if (item.type === "reasoning") {
      item.summary.forEach((part, summaryIndex) => {
        this.emit("response.reasoning_summary_text.done", { ...ids, summary_index: summaryIndex, text: part.text });
        this.emit("response.reasoning_summary_part.done", { ...ids, summary_index: summaryIndex, part });
      });
      if (this.openReasoning === outputIndex) this.openReasoning = null;
    } else if (item.type === "message") {
      item.content.forEach((part, contentIndex) => {
        if (part.type === "output_text") {
          this.emit("response.output_text.done", {
            ...ids,
            content_index: contentIndex,
            text: part.text,
            logprobs: [],
          });
        } else {
          this.emit("response.refusal.done", { ...ids, content_index: contentIndex, refusal: part.refusal });
        }
        this.emit("response.content_part.done", { ...ids, content_index: contentIndex, part });
      });
      item.status = status;
      if (this.openMessage === outputIndex) this.openMessage = null;
    } else {
      this.emit("response.function_call_arguments.done", { ...ids, name: item.name, arguments: item.arguments });
      item.status = status;
    }
    this.open.delete(outputIndex);
    this.emit("response.output_item.done", { output_index: outputIndex, item });
  }

  /** Serialises now: the live item objects keep changing after an event is written. */
  private emit(type: string, fields: Record<string, unknown>) {
    const data = JSON.stringify({ type, sequence_number: this.sequence++, ...fields });
    this.out.push(`event: ${type}\ndata: ${data}\n\n`);
  }

  private flush(): string {
    const text = this.out.join("");
    this.out = [];
    return text;
  }
}
