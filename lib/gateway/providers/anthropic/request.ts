// A canonical (OpenAI Chat Completions) request → an Anthropic Messages API request
// (https://docs.anthropic.com/en/api/messages). Pure: no I/O. What Anthropic cannot honour and the
// client would notice is refused here as our own 400; sampling knobs it lacks are dropped.
import type { ChatRequest } from "../../chat-request";
import { GatewayError } from "../../errors";
import { isRecord } from "../../request-validation";
import { convertMessages, legacyFunctionsError } from "./messages";
import type { AnthropicMessagesRequest, AnthropicTool, AnthropicToolChoice } from "./types";

export interface AnthropicRequestOptions {
  /** The channel's name for the model. */
  upstreamModel: string;
  /** The output cap the hold covers (Anthropic requires max_tokens). */
  maxTokens: number;
  stream: boolean;
  /** The model reasons (supportsReasoning): `reasoning_effort` then turns on extended thinking. */
  reasoning?: boolean;
}

// metadata.user_id is documented as at most 256 characters (https://docs.anthropic.com/en/api/messages);
// our `user` may be 512. A longer one is not sent rather than cut into a different identifier.
const MAX_USER_ID_CHARS = 256;

/**
 * Not sent, silently: OpenAI sampling knobs Anthropic has no equivalent for (presence_penalty,
 * frequency_penalty, logit_bias, seed), OpenAI-only switches (stream_options: the decoder always
 * reports usage; store, metadata, service_tier, reasoning_effort …). Refused: what would change the
 * shape of the answer the client expects (n > 1, logprobs, JSON mode, legacy functions).
 */
export function toAnthropicRequest(request: ChatRequest, options: AnthropicRequestOptions): AnthropicMessagesRequest {
  refuseUnsupported(request);
  const { system, messages } = convertMessages(request.messages);
  const out: AnthropicMessagesRequest = {
    model: options.upstreamModel,
    max_tokens: options.maxTokens,
    messages,
    stream: options.stream,
  };
  if (system !== undefined) out.system = system;

  const stop = typeof request.stop === "string" ? [request.stop] : (request.stop ?? []);
  if (stop.length > 0) out.stop_sequences = stop;
  // Anthropic's temperature ranges 0–1, OpenAI's 0–2 (https://docs.anthropic.com/en/api/messages):
  // clamped, not scaled, so the common values (0, 0.2, 0.7, 1) keep their meaning.
  if (typeof request.temperature === "number") out.temperature = Math.min(request.temperature, 1);
  // Claude Sonnet 4.5, Haiku 4.5 and later refuse temperature and top_p together ("cannot both be
  // specified for this model", https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html);
  // OpenAI clients often send both, so temperature wins and top_p goes only when it comes alone.
  if (typeof request.top_p === "number" && out.temperature === undefined) out.top_p = request.top_p;
  if (typeof request.user === "string" && request.user.length > 0 && request.user.length <= MAX_USER_ID_CHARS) {
    out.metadata = { user_id: request.user };
  }

  const tools = (request.tools ?? []).map((tool, i) => toAnthropicTool(tool, i));
  if (tools.length > 0) {
    out.tools = tools;
    const toolChoice = toAnthropicToolChoice(request.tool_choice, request.parallel_tool_calls);
    if (toolChoice) out.tool_choice = toolChoice;
  }
  // A tool loop with thinking needs the earlier turn's signed thinking blocks sent back
  // (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#extended-thinking-with-tool-use),
  // which an OpenAI client cannot: a conversation with tool results is answered without thinking.
  const inToolLoop = request.messages.some((m) => m.role === "tool");
  if (options.reasoning && !inToolLoop) {
    const budget = thinkingBudget(request.reasoning_effort, options.maxTokens, out.tool_choice);
    if (budget !== null) {
      out.thinking = { type: "enabled", budget_tokens: budget };
      // Thinking is not compatible with temperature or top_p below 0.95
      // (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#feature-compatibility).
      delete out.temperature;
      delete out.top_p;
    }
  }
  return out;
}

/** OpenAI's reasoning_effort → an extended-thinking budget (thinking tokens are output tokens, inside max_tokens). */
const THINKING_BUDGETS: Readonly<Record<string, number>> = { low: 1_024, medium: 4_096, high: 16_384 };
/** Anthropic's smallest budget (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). */
const MIN_THINKING_BUDGET = 1_024;

/**
 * The thinking budget for a reasoning_effort, or null for none: "minimal"/"none"/absent, a cap too
 * small to leave room for an answer after the smallest budget (budget_tokens must be below
 * max_tokens), or a forced tool choice (thinking allows only "auto" and "none").
 */
export function thinkingBudget(
  effort: unknown,
  maxTokens: number,
  toolChoice: AnthropicToolChoice | undefined,
): number | null {
  const wanted = typeof effort === "string" ? THINKING_BUDGETS[effort] : undefined;
  if (wanted === undefined) return null;
  if (toolChoice && toolChoice.type !== "auto" && toolChoice.type !== "none") return null;
  const budget = Math.min(wanted, Math.floor(maxTokens / 2));
  return budget >= MIN_THINKING_BUDGET ? budget : null;
}

function unsupported(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request", message, { param, code: "unsupported_parameter" });
}

function refuseUnsupported(request: ChatRequest): void {
  // Legacy function calling (deprecated by OpenAI in favour of tools) is refused rather than mapped:
  // its answers (message.function_call, finish_reason "function_call") have no ids to tie a call to
  // its result, and every current client speaks tools.
  if (request.functions !== undefined && request.functions !== null) throw legacyFunctionsError("functions");
  if (request.function_call !== undefined && request.function_call !== null) {
    throw legacyFunctionsError("function_call");
  }
  // One answer per request on Anthropic: n > 1 would silently return fewer choices than asked for.
  if (typeof request.n === "number" && request.n > 1) {
    throw unsupported("n", "Only n = 1 is available on this model.");
  }
  // Anthropic returns no log probabilities.
  if (request.logprobs === true || (typeof request.top_logprobs === "number" && request.top_logprobs > 0)) {
    throw unsupported("logprobs", "Log probabilities are not available on this model.");
  }
  // JSON mode has no Messages API switch: the client would get prose where it parses JSON.
  const format = request.response_format?.type;
  if (format !== undefined && format !== "text") {
    throw unsupported(
      "response_format",
      `response_format '${format.slice(0, 40)}' is not available on this model; describe the JSON you want in the prompt, or use tools.`,
    );
  }
}

type ChatTool = NonNullable<ChatRequest["tools"]>[number];

/**
 * A function tool → an Anthropic tool (https://docs.anthropic.com/en/docs/build-with-claude/tool-use):
 * its JSON schema becomes `input_schema`, which must be an object schema; a function without
 * parameters gets the empty one. OpenAI's `strict` has no counterpart and is not sent.
 */
function toAnthropicTool(tool: ChatTool, index: number): AnthropicTool {
  if (tool.type !== "function" || !tool.function) {
    throw unsupported(
      `tools.${index}.type`,
      `Tools of type '${tool.type.slice(0, 40)}' are not available on this model.`,
    );
  }
  const fn = tool.function;
  const parameters = isRecord(fn.parameters) ? fn.parameters : {};
  const out: AnthropicTool = {
    name: fn.name,
    // Anthropic requires input_schema.type; OpenAI tolerates a schema that leaves it out.
    input_schema: { type: "object", properties: {}, ...parameters },
  };
  if (typeof fn.description === "string" && fn.description.length > 0) out.description = fn.description;
  return out;
}

/**
 * OpenAI tool_choice → Anthropic's (https://docs.anthropic.com/en/docs/build-with-claude/tool-use#forcing-tool-use):
 * "auto" → auto, "required" → any, a named function → tool, "none" → none.
 * parallel_tool_calls: false → disable_parallel_tool_use: true, which Anthropic puts on tool_choice
 * (https://docs.anthropic.com/en/docs/build-with-claude/tool-use#parallel-tool-use); with no
 * tool_choice given it rides on "auto", the default either way.
 */
function toAnthropicToolChoice(
  choice: ChatRequest["tool_choice"],
  parallelToolCalls: boolean | null | undefined,
): AnthropicToolChoice | undefined {
  const disableParallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) {
    return parallelToolCalls === false ? { type: "auto", disable_parallel_tool_use: true } : undefined;
  }
  if (choice === "auto") return { type: "auto", ...disableParallel };
  if (choice === "required") return { type: "any", ...disableParallel };
  if (choice === "none") return { type: "none" };
  if (typeof choice === "object" && choice.type === "function") {
    const fn = choice.function;
    const name = isRecord(fn) ? fn.name : undefined;
    if (typeof name !== "string" || name.length === 0) {
      throw new GatewayError("invalid_request", "Missing required parameter: 'tool_choice.function.name'.", {
        param: "tool_choice.function.name",
      });
    }
    return { type: "tool", name, ...disableParallel };
  }
  const shown = typeof choice === "string" ? choice : choice.type;
  throw unsupported("tool_choice", `tool_choice '${shown.slice(0, 40)}' is not available on this model.`);
}
