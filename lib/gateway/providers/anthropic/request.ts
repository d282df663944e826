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
  if (typeof request.top_p === "number") out.top_p = request.top_p;
  if (typeof request.user === "string" && request.user.length > 0 && request.user.length <= MAX_USER_ID_CHARS) {
    out.metadata = { user_id: request.user };
  }

  const tools = (request.tools ?? []).map((tool, i) => toAnthropicTool(tool, i));
  if (tools.length > 0) {
    out.tools = tools;
    const toolChoice = toAnthropicToolChoice(request.tool_choice, request.parallel_tool_calls);
    if (toolChoice) out.tool_choice = toolChoice;
  }
  return out;
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
