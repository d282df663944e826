// Wire shapes of the OpenAI Responses API (https://platform.openai.com/docs/api-reference/responses)
// as TokenFlow speaks them: the subset we accept and produce. The authoritative definitions are the
// openai package's node_modules/openai/resources/responses/responses.d.ts (a dev dependency only,
// so production code keeps its own minimal copies here).

// ---------------------------------------------------------------------------------------------
// Request: input items

export interface InputTextPart {
  type: "input_text";
  text: string;
}

export interface InputImagePart {
  type: "input_image";
  image_url?: string | null;
  file_id?: string | null;
  detail?: "low" | "high" | "auto" | "original" | null;
}

/** Assistant history echoed back as input (a previous response's message item). */
export interface OutputTextPart {
  type: "output_text";
  text: string;
}

export interface RefusalPart {
  type: "refusal";
  refusal: string;
}

export type InputContentPart = InputTextPart | InputImagePart | OutputTextPart | RefusalPart;

export type InputRole = "user" | "assistant" | "system" | "developer";

/** EasyInputMessage (no `type`) and the typed `{type: "message"}` item, including output messages fed back. */
export interface InputMessageItem {
  type?: "message";
  role: InputRole;
  content: string | InputContentPart[];
}

export interface FunctionCallItem {
  type: "function_call";
  call_id: string;
  name: string;
  arguments: string;
}

export interface FunctionCallOutputItem {
  type: "function_call_output";
  call_id: string;
  output: string | InputContentPart[];
}

/** Reasoning from a previous response: accepted and dropped (see input.ts). */
export interface ReasoningInputItem {
  type: "reasoning";
}

export type InputItem = InputMessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningInputItem;

// ---------------------------------------------------------------------------------------------
// Request: tools and formats

export interface FunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
  [extra: string]: unknown;
}

export type ToolChoice = "auto" | "none" | "required" | { type: "function"; name: string };

export type TextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      name: string;
      schema: Record<string, unknown>;
      strict?: boolean | null;
      description?: string | null;
    };

// ---------------------------------------------------------------------------------------------
// Response object

export interface OutputTextContent {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export interface OutputRefusalContent {
  type: "refusal";
  refusal: string;
}

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export interface MessageOutputItem {
  type: "message";
  id: string;
  status: ItemStatus;
  role: "assistant";
  content: Array<OutputTextContent | OutputRefusalContent>;
}

export interface SummaryText {
  type: "summary_text";
  text: string;
}

export interface ReasoningOutputItem {
  type: "reasoning";
  id: string;
  summary: SummaryText[];
}

export interface FunctionCallOutputItemResult {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

export type OutputItem = ReasoningOutputItem | MessageOutputItem | FunctionCallOutputItemResult;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
  /** TokenFlow's addition, as on /v1/chat/completions: what this request was charged, in USD. */
  cost_usd?: string;
}

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  background: false;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: null;
  reasoning: { effort: string | null; summary: string | null };
  store: false;
  temperature: number | null;
  text: { format: TextFormat; verbosity?: string | null };
  tool_choice: ToolChoice;
  tools: FunctionTool[];
  top_p: number | null;
  truncation: "auto" | "disabled";
  usage: ResponsesUsage | null;
  user: string | null;
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  metadata: Record<string, string>;
}
