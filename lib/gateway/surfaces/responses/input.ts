import { isRecord } from "@/lib/gateway/request-validation";
import type { InputContentPart, InputItem, InputMessageItem } from "./types";

// The Responses `input` (a string, or a list of items) checked by hand and turned into canonical
// chat messages. Checked by hand rather than as zod objects for the reason chat-request.ts gives
// (a large body can hold hundreds of thousands of parts; this loop only reads them), and so each
// problem names its exact place: 'input.3.content.0.file_id'.

export interface InputIssue {
  path: (string | number)[];
  message: string;
  /** A missing field: reported as "Missing required parameter: 'input.3.role'." */
  missing?: boolean;
}

const ROLES = ["user", "assistant", "system", "developer"];
const IMAGE_DETAILS = ["low", "high", "auto", "original"];

const STATELESS =
  "TokenFlow does not store responses or items; send the full item instead (and the full conversation in input)";

/** The first problem with `input`, or null when it is usable. */
export function inputIssue(input: unknown): InputIssue | null {
  if (input === undefined) return { path: [], message: "missing", missing: true };
  if (typeof input === "string") return null;
  if (!Array.isArray(input)) return { path: [], message: "expected a string or an array of input items" };
  if (input.length === 0) return { path: [], message: "must contain at least one item" };
  let messages = 0;
  for (let i = 0; i < input.length; i++) {
    const issue = itemIssue(input[i]);
    if (issue) return { ...issue, path: [i, ...issue.path] };
    if ((input[i] as { type?: unknown }).type !== "reasoning") messages++;
  }
  if (messages === 0)
    return { path: [], message: "must contain a message or a function call (reasoning items are dropped)" };
  return null;
}

function itemIssue(item: unknown): InputIssue | null {
  if (!isRecord(item)) return { path: [], message: "expected an object (a message or an item with a type)" };
  const type = item.type;
  if (type === undefined || type === "message") return messageIssue(item);
  if (typeof type !== "string") return { path: ["type"], message: "expected a string" };
  switch (type) {
    case "function_call":
      return (
        stringFieldIssue(item, "call_id", 1) ?? stringFieldIssue(item, "name", 1) ?? stringFieldIssue(item, "arguments")
      );
    case "function_call_output":
      return stringFieldIssue(item, "call_id", 1) ?? toolOutputIssue(item.output);
    case "reasoning":
      return null; // dropped: canonical chat has no way to carry a previous turn's reasoning
    case "item_reference":
      return { path: ["type"], message: `item_reference is not supported: ${STATELESS}` };
    default:
      return { path: ["type"], message: `'${type}' items are not supported through TokenFlow` };
  }
}

function messageIssue(item: Record<string, unknown>): InputIssue | null {
  const role = item.role;
  if (role === undefined) return { path: ["role"], message: "missing", missing: true };
  if (typeof role !== "string" || !ROLES.includes(role)) {
    return { path: ["role"], message: `must be one of ${ROLES.map((r) => `'${r}'`).join(", ")}` };
  }
  const content = item.content;
  if (content === undefined) return { path: ["content"], message: "missing", missing: true };
  if (typeof content === "string") return null;
  if (!Array.isArray(content)) return { path: ["content"], message: "expected a string or an array of content parts" };
  for (let i = 0; i < content.length; i++) {
    const issue = partIssue(content[i], role);
    if (issue) return { ...issue, path: ["content", i, ...issue.path] };
  }
  return null;
}

function partIssue(part: unknown, role: string): InputIssue | null {
  if (!isRecord(part)) return { path: [], message: "expected an object (a content part with a type)" };
  const type = part.type;
  if (type === undefined) return { path: ["type"], message: "missing", missing: true };
  if (typeof type !== "string") return { path: ["type"], message: "expected a string" };
  switch (type) {
    case "input_text":
    case "output_text":
      return stringFieldIssue(part, "text");
    case "refusal":
      return stringFieldIssue(part, "refusal");
    case "input_image":
      return imageIssue(part, role);
    case "input_file":
      return {
        path: ["type"],
        message: "input_file parts are not supported through TokenFlow; send the file's text as input_text",
      };
    default:
      return { path: ["type"], message: `'${type}' content parts are not supported through TokenFlow` };
  }
}

function imageIssue(part: Record<string, unknown>, role: string): InputIssue | null {
  if (role !== "user") return { path: ["type"], message: "images are only supported in user messages" };
  const { image_url: url, file_id: fileId, detail } = part;
  if ((url === undefined || url === null) && fileId !== undefined && fileId !== null) {
    return {
      path: ["file_id"],
      message:
        "file_id is not supported through TokenFlow (there is no Files API); send the image as image_url (an https or data: URL)",
    };
  }
  if (url === undefined || url === null) return { path: ["image_url"], message: "missing", missing: true };
  if (typeof url !== "string" || url.length === 0)
    return { path: ["image_url"], message: "expected a non-empty string" };
  if (detail !== undefined && detail !== null && !IMAGE_DETAILS.includes(detail as string)) {
    return { path: ["detail"], message: `must be one of ${IMAGE_DETAILS.map((d) => `'${d}'`).join(", ")}` };
  }
  return null;
}

function toolOutputIssue(output: unknown): InputIssue | null {
  if (output === undefined) return { path: ["output"], message: "missing", missing: true };
  if (typeof output === "string") return null;
  if (!Array.isArray(output)) return { path: ["output"], message: "expected a string or an array of input_text parts" };
  for (let i = 0; i < output.length; i++) {
    const part: unknown = output[i];
    if (!isRecord(part)) return { path: ["output", i], message: "expected an object (a content part with a type)" };
    if (part.type !== "input_text") {
      return {
        path: ["output", i, "type"],
        message: "only input_text parts are supported in function_call_output through TokenFlow",
      };
    }
    const issue = stringFieldIssue(part, "text");
    if (issue) return { ...issue, path: ["output", i, ...issue.path] };
  }
  return null;
}

function stringFieldIssue(record: Record<string, unknown>, field: string, min = 0): InputIssue | null {
  const value = record[field];
  if (value === undefined || value === null) return { path: [field], message: "missing", missing: true };
  if (typeof value !== "string") return { path: [field], message: "expected a string" };
  if (value.length < min) return { path: [field], message: "must not be empty" };
  return null;
}

// ---------------------------------------------------------------------------------------------
// To canonical chat messages (the input is known to be valid: parseResponsesRequest checked it)

export type ChatContentPart =
  { type: "text"; text: string } | { type: "image_url"; image_url: { url: string; detail?: "low" | "high" | "auto" } };

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string | ChatContentPart[] | null;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
}

export function inputToMessages(input: string | InputItem[]): ChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const messages: ChatMessage[] = [];
  for (const item of input) {
    if (item.type === undefined || item.type === "message") {
      messages.push(messageToChat(item));
    } else if (item.type === "function_call") {
      const call: ChatToolCall = {
        id: item.call_id,
        type: "function",
        function: { name: item.name, arguments: item.arguments },
      };
      // Responses lists a turn's text and each of its calls as separate items; chat has one
      // assistant message per turn. Consecutive calls (and the assistant text just before them)
      // are one turn. Reasoning items between them were dropped, so they do not split a turn.
      const last = messages.at(-1);
      if (last?.role === "assistant") (last.tool_calls ??= []).push(call);
      else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (item.type === "function_call_output") {
      messages.push({
        role: "tool",
        tool_call_id: item.call_id,
        // Several text parts are the caller's separate pieces: one per line.
        content: typeof item.output === "string" ? item.output : item.output.map(partText).join("\n"),
      });
    }
    // type "reasoning": dropped (a previous turn's reasoning; chat upstreams take no such input).
  }
  return messages;
}

function messageToChat(item: InputMessageItem): ChatMessage {
  const { role, content } = item;
  if (typeof content === "string") return { role, content };
  if (role === "assistant") {
    // A previous answer: its output_text parts are pieces of one generated text, joined as the
    // SDKs join them into output_text (no separator).
    return { role, content: content.map(partText).join("") };
  }
  if (role === "system" || role === "developer") {
    // Text only (images are refused outside user messages); a string is what every upstream takes.
    return { role, content: content.map(partText).join("\n") };
  }
  return { role, content: content.map(partToChat) };
}

function partText(part: InputContentPart): string {
  return part.type === "refusal" ? part.refusal : part.type === "input_image" ? "" : part.text;
}

function partToChat(part: InputContentPart): ChatContentPart {
  if (part.type !== "input_image") return { type: "text", text: partText(part) };
  const detail = part.detail;
  // Chat's detail values are low, high and auto; Responses' "original" (full resolution) is closest to high.
  const chatDetail = detail === "original" ? "high" : (detail ?? undefined);
  return {
    type: "image_url",
    image_url: chatDetail ? { url: part.image_url as string, detail: chatDetail } : { url: part.image_url as string },
  };
}
