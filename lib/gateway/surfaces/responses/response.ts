import type { CanonicalFinishReason, CanonicalUsage, ChatCompletion } from "@/lib/gateway/canonical";
import type { ResponsesRequest } from "./request";
import type {
  FunctionCallOutputItemResult,
  MessageOutputItem,
  OutputItem,
  ReasoningOutputItem,
  ResponseObject,
  ResponseStatus,
  ResponsesUsage,
  TextFormat,
} from "./types";

// A canonical chat completion answered as OpenAI's Response object. The streaming encoder
// (stream.ts) ends with the same object, built by the same functions, so a streamed and a
// non-streamed answer to one completion are identical.
//
// `output_text` is not sent: it is not part of the wire format; the OpenAI SDKs compute it.

export interface ResponseContext {
  /** "resp_…"; item ids are derived from it. */
  responseId: string;
  /** Unix seconds. */
  createdAt: number;
  publicModel: string;
  request: ResponsesRequest;
  costUsd?: string;
}

/** Item ids: "msg_<response id suffix>_<output index>", likewise "rs_" and "fc_". */
export function itemId(prefix: "msg" | "rs" | "fc", responseId: string, outputIndex: number): string {
  return `${prefix}_${responseId.replace(/^resp_/, "")}_${outputIndex}`;
}

/** A call id for an upstream tool call that came without one (chat tool calls always have one on OpenAI). */
export function fallbackCallId(responseId: string, outputIndex: number): string {
  return `call_${responseId.replace(/^resp_/, "")}_${outputIndex}`;
}

export function usageToResponses(usage: CanonicalUsage | null, costUsd?: string): ResponsesUsage | null {
  if (!usage) return null;
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      // Not in OpenAI's schema: tokens written to a provider's prompt cache (e.g. Anthropic), billed apart.
      ...(cacheWrite != null ? { cache_write_tokens: cacheWrite } : {}),
    },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
    ...(costUsd !== undefined ? { cost_usd: costUsd } : {}),
  };
}

/** What a finish reason makes of the response: completed, or incomplete with OpenAI's reason. */
export function finishStatus(finishReason: CanonicalFinishReason | null | undefined): {
  status: "completed" | "incomplete";
  incomplete_details: ResponseObject["incomplete_details"];
} {
  if (finishReason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finishReason === "content_filter")
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** The Response object around `output`, echoing the request's settings as OpenAI does. */
export function buildResponse(
  context: Omit<ResponseContext, "costUsd">,
  fields: {
    status: ResponseStatus;
    output: OutputItem[];
    usage?: ResponsesUsage | null;
    incomplete_details?: ResponseObject["incomplete_details"];
    error?: ResponseObject["error"];
  },
): ResponseObject {
  const req = context.request;
  const format: TextFormat = req.text?.format ?? { type: "text" };
  return {
    id: context.responseId,
    object: "response",
    created_at: context.createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete_details ?? null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: context.publicModel,
    output: fields.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    store: false, // stateless: nothing is stored, whatever the request asked
    temperature: req.temperature ?? null,
    text: req.text?.verbosity != null ? { format, verbosity: req.text.verbosity } : { format },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: req.truncation ?? "disabled",
    usage: fields.usage ?? null,
    user: req.user ?? null,
    safety_identifier: req.safety_identifier ?? null,
    prompt_cache_key: req.prompt_cache_key ?? null,
    metadata: req.metadata ?? {},
  };
}

export function chatCompletionToResponse(completion: ChatCompletion, context: ResponseContext): ResponseObject {
  const choice = completion.choices[0];
  const message = choice?.message;
  const output: OutputItem[] = [];

  // Order as a reasoning model answers: its reasoning, then its text, then its calls.
  if (message?.reasoning_content) {
    const item: ReasoningOutputItem = {
      type: "reasoning",
      id: itemId("rs", context.responseId, output.length),
      summary: [{ type: "summary_text", text: message.reasoning_content }],
    };
    output.push(item);
  }
  if (message?.content || message?.refusal) {
    const item: MessageOutputItem = {
      type: "message",
      id: itemId("msg", context.responseId, output.length),
      status: "completed",
      role: "assistant",
      content: [
        ...(message.content
          ? [{ type: "output_text" as const, text: message.content, annotations: [], logprobs: [] }]
          : []),
        ...(message.refusal ? [{ type: "refusal" as const, refusal: message.refusal }] : []),
      ],
    };
    output.push(item);
  }
  for (const call of message?.tool_calls ?? []) {
    const item: FunctionCallOutputItemResult = {
      type: "function_call",
      id: itemId("fc", context.responseId, output.length),
      call_id: call.id || fallbackCallId(context.responseId, output.length),
      name: call.function.name,
      arguments: call.function.arguments,
      status: "completed",
    };
    output.push(item);
  }

  const { status, incomplete_details } = finishStatus(choice?.finish_reason);
  if (status === "incomplete") markLastIncomplete(output);
  return buildResponse(context, {
    status,
    incomplete_details,
    output,
    usage: usageToResponses(completion.usage ?? null, context.costUsd),
  });
}

/** On an incomplete response the item that was being generated when it stopped (the last) is incomplete too. */
export function markLastIncomplete(output: OutputItem[]): void {
  const last = output.at(-1);
  if (last && last.type !== "reasoning") last.status = "incomplete";
}
