import { createHash } from "node:crypto";
import { isRecord } from "../request-validation";
import { approxTokens, estimateDifficulty, type Difficulty, type TextSample } from "./difficulty";

// What `model: "auto"` needs to know about a chat request before choosing a model: the capabilities it
// requires, how hard it looks, and which conversation it continues. Pure and synchronous; the work is
// bounded however large the body (the gateway already accepted it: messages is a non-empty array of
// objects with a role, the rest is as the client sent it, so everything here is read defensively).

export type { Difficulty } from "./difficulty";

export interface AutoFeatures {
  difficulty: Difficulty;
  /** 0..1, monotone in how hard the request looks; for explaining and tie-breaking. */
  score: number;
  /**
   * Short machine words for what raised the estimate, strongest first. The ask: length, long-prompt, code,
   * long-code, multi-file, stack-trace, refactor, hard-bug, math, hard-math, proof, design, system-design,
   * trade-offs, reasoning-cue, think-hard, explanation, writing, constraints, multi-part; the conversation:
   * context-code, context-math, context-proof, context-design, deep-conversation, long-context; the client:
   * reasoning-effort.
   */
  signals: string[];
  /** Tools or functions are offered, tool_choice / function_call asks for one, or earlier turns used tools. */
  needsTools: boolean;
  /** Some message holds an image part ("image_url", "input_image", "image"). */
  needsVision: boolean;
  /** response_format asks for "json_object" or "json_schema". */
  needsJson: boolean;
  /** sha256 hex naming the conversation: its instructions and first user message, so every turn maps to it. */
  conversationKey: string;
  /** Number of user turns so far. */
  userTurns: number;
}

export interface AutoRequest {
  messages: unknown[];
  tools?: unknown;
  functions?: unknown;
  tool_choice?: unknown;
  function_call?: unknown;
  response_format?: unknown;
  reasoning_effort?: unknown;
}

const IMAGE_PART_TYPES = new Set(["image_url", "input_image", "image"]);
const TEXT_PART_TYPES = new Set(["text", "input_text", "output_text"]);
const INSTRUCTION_ROLES = new Set(["system", "developer"]);

/** The last user message is read in full up to this; beyond, its head and tail (half each) stand for it. */
export const ASK_SAMPLE_CHARS = 16_384;
/** The rest of the conversation shows its topic through a sample this large: leading instructions, then the latest turns. */
const CONTEXT_SAMPLE_CHARS = 2_048;
const CONTEXT_CHARS_PER_MESSAGE = 768;
/** Tokens per character are measured on this much of the context and extrapolated to the rest. */
const CONTEXT_MEASURED_CHARS = 262_144;

export function autoFeatures(request: AutoRequest): AutoFeatures {
  const messages = Array.isArray(request.messages) ? request.messages.filter(isRecord) : [];
  let userTurns = 0;
  let askIndex = -1;
  let hasToolHistory = false;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message.role === "user") {
      userTurns++;
      askIndex = i;
    }
    hasToolHistory ||=
      message.role === "tool" ||
      message.role === "function" ||
      (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) ||
      isRecord(message.function_call);
  }
  if (askIndex < 0) askIndex = messages.length - 1; // no user turn (only instructions): judge what is there

  const ask = readContent(messages[askIndex]?.content, ASK_SAMPLE_CHARS);
  const context = readContext(messages, askIndex);
  const estimate = estimateDifficulty({
    ask: ask.sample,
    context: context.sample,
    contextTokens: context.tokens,
    userTurns,
    reasoningEffort: request.reasoning_effort,
  });

  return {
    ...estimate,
    needsTools: needsTools(request, hasToolHistory),
    needsVision: ask.hasImage || context.hasImage,
    needsJson:
      isRecord(request.response_format) &&
      ["json_object", "json_schema"].includes(String(request.response_format.type)),
    conversationKey: conversationKey(messages),
    userTurns,
  };
}

// A model without tool support cannot take tools, and most providers also refuse tool calls and tool
// results in the history of a request (Anthropic: "requests which include tool_use or tool_result blocks
// must define tools"), so a conversation that used tools keeps needing a tool-capable model.
function needsTools(request: AutoRequest, hasToolHistory: boolean): boolean {
  const isOffered = (list: unknown) => Array.isArray(list) && list.length > 0;
  const isAsked = (choice: unknown) => choice !== undefined && choice !== null && choice !== "none";
  return (
    isOffered(request.tools) ||
    isOffered(request.functions) ||
    isAsked(request.tool_choice) ||
    isAsked(request.function_call) ||
    hasToolHistory
  );
}

interface ContentReading {
  sample: TextSample;
  hasImage: boolean;
}

/**
 * One pass over a message's content: whether it holds an image, and its text (a string, or its text parts
 * joined by newlines) up to `limit` characters, or beyond that its first and last limit/2. Nothing longer
 * than the sample is ever copied, so a 700,000-part message costs one loop over its parts.
 */
function readContent(content: unknown, limit: number): ContentReading {
  if (typeof content === "string") return { sample: sampleString(content, limit), hasImage: false };
  if (!Array.isArray(content)) return { sample: { text: "", totalChars: 0 }, hasImage: false };
  let hasImage = false;
  const head: string[] = [];
  let headChars = 0;
  let totalChars = -1; // no newline before the first piece
  for (const part of content as unknown[]) {
    if (typeof part !== "object" || part === null) continue;
    const { type, text } = part as Record<string, unknown>;
    if (typeof text === "string" && TEXT_PART_TYPES.has(type as string)) {
      totalChars += text.length + 1;
      if (headChars < limit) {
        head.push(text.slice(0, limit - headChars));
        headChars += text.length + 1;
      }
    } else if (IMAGE_PART_TYPES.has(type as string)) {
      hasImage = true;
    }
  }
  totalChars = Math.max(0, totalChars);
  if (totalChars <= limit) return { sample: { text: head.join("\n"), totalChars }, hasImage };
  if (limit === 0) return { sample: { text: "", totalChars }, hasImage };
  const half = Math.floor(limit / 2);
  return { sample: { text: `${head.join("\n").slice(0, half)}\n${lastChars(content, half)}`, totalChars }, hasImage };
}

function sampleString(text: string, limit: number): TextSample {
  if (text.length <= limit) return { text, totalChars: text.length };
  if (limit === 0) return { text: "", totalChars: text.length };
  const half = Math.floor(limit / 2);
  return { text: `${text.slice(0, half)}\n${text.slice(-half)}`, totalChars: text.length };
}

/** The last `count` characters of the text parts, joined by newlines. */
function lastChars(parts: unknown[], count: number): string {
  const taken: string[] = [];
  for (let i = parts.length - 1, remaining = count; i >= 0 && remaining > 0; i--) {
    const part = parts[i];
    if (!isRecord(part) || typeof part.text !== "string" || !TEXT_PART_TYPES.has(part.type as string)) continue;
    taken.push(part.text.slice(-remaining));
    remaining -= part.text.length + 1;
  }
  return taken.reverse().join("\n");
}

/**
 * Everything but the ask, each message read once: whether it holds an image, a topic sample (the leading
 * instructions, then the turns nearest the ask) and its size in tokens, measured on samples of the first
 * CONTEXT_MEASURED_CHARS and extrapolated to the rest, so 10,000 long turns cost a few hundred kB of work.
 */
function readContext(messages: Record<string, unknown>[], askIndex: number) {
  const sample: string[] = [];
  let sampleChars = 0;
  let hasImage = false;
  let totalChars = 0;
  let measuredChars = 0;
  let measuredTokens = 0;
  const read = (message: Record<string, unknown>) => {
    // Once the sample and the measurement are complete, a message only adds its length (and images).
    const isSampled = measuredChars < CONTEXT_MEASURED_CHARS || sampleChars < CONTEXT_SAMPLE_CHARS;
    const reading = readContent(message.content, isSampled ? CONTEXT_CHARS_PER_MESSAGE : 0);
    const { text } = reading.sample;
    hasImage ||= reading.hasImage;
    totalChars += reading.sample.totalChars;
    if (measuredChars < CONTEXT_MEASURED_CHARS && text.length > 0) {
      measuredChars += text.length;
      measuredTokens += approxTokens(text);
    }
    if (text.length > 0 && sampleChars < CONTEXT_SAMPLE_CHARS) {
      const kept = text.slice(0, CONTEXT_SAMPLE_CHARS - sampleChars);
      sample.push(kept);
      sampleChars += kept.length + 1;
    }
  };

  // Leading instructions first (they set the topic), then the nearest turns, newest first.
  let firstTurn = 0;
  for (; firstTurn < messages.length && INSTRUCTION_ROLES.has(messages[firstTurn].role as string); firstTurn++) {
    if (firstTurn !== askIndex) read(messages[firstTurn]);
  }
  for (let i = messages.length - 1; i >= firstTurn; i--) {
    if (i !== askIndex) read(messages[i]);
  }

  const tokensPerChar = measuredChars > 0 ? measuredTokens / measuredChars : 0;
  return {
    sample: { text: sample.join("\n"), totalChars: sampleChars } satisfies TextSample,
    tokens: Math.round(totalChars * tokensPerChar),
    hasImage,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Conversation key. A chat client resends the whole history each turn, so its instructions and first user
// message are the same on turn 1 and turn 50: hashing those (and nothing later) names the conversation.
// Instructions are the system/developer messages before the first user message (some clients append
// system notes later on, which would otherwise change the key mid-conversation). A string content and a
// single text part with the same text are the same message; text is trimmed at the ends.

// The key names a conversation for routing stickiness; it is not a content hash (never use it to dedupe or
// cache answers), and sha256 costs ≈ 1 µs per kB here. So a string longer than 2,048 characters is keyed by
// its length and 16 evenly spaced 128-character windows, and a message of many parts by its part count and
// 64 evenly spaced parts: two conversations whose first messages have the same length and differ only
// between the windows share a key, and a 19 MiB image or a 20 kB prompt costs microseconds.
const KEY_FULL_CHARS = 2_048;
const KEY_WINDOWS = 16;
const KEY_WINDOW_CHARS = 128;
const KEY_PARTS = 64;

function conversationKey(messages: Record<string, unknown>[]): string {
  const instructions: unknown[] = [];
  let firstUser: unknown[] = [];
  for (const message of messages) {
    if (message.role === "user") {
      firstUser = keyParts(message.content);
      break;
    }
    if (INSTRUCTION_ROLES.has(message.role as string)) {
      instructions.push(...keyParts(message.content));
    }
  }
  return createHash("sha256").update(JSON.stringify({ instructions, firstUser })).digest("hex");
}

/** A message's content as [["text", …], ["image", url], …] (preceded by the part count when sampled). */
function keyParts(content: unknown): unknown[] {
  if (typeof content === "string") return [["text", fingerprint(content.trim())]];
  if (!Array.isArray(content)) return [];
  const count = Math.min(content.length, KEY_PARTS);
  const parts: unknown[] = count < content.length ? [content.length] : [];
  for (let k = 0; k < count; k++) {
    const part: unknown = content[Math.floor((k * content.length) / count)];
    if (!isRecord(part)) continue;
    if (TEXT_PART_TYPES.has(part.type as string) && typeof part.text === "string") {
      parts.push(["text", fingerprint(part.text.trim())]);
    } else if (IMAGE_PART_TYPES.has(part.type as string)) {
      parts.push(["image", fingerprint(imageUrl(part))]);
    }
  }
  return parts;
}

// OpenAI chat: image_url.url; Responses-style input_image: image_url as a string; Anthropic-style image:
// source.url or source.data.
function imageUrl(part: Record<string, unknown>): string {
  const { image_url: imageUrlField, source } = part;
  if (typeof imageUrlField === "string") return imageUrlField;
  if (isRecord(imageUrlField) && typeof imageUrlField.url === "string") return imageUrlField.url;
  if (isRecord(source)) {
    if (typeof source.url === "string") return source.url;
    if (typeof source.data === "string") return source.data;
  }
  return typeof part.url === "string" ? part.url : "";
}

function fingerprint(text: string): string {
  if (text.length <= KEY_FULL_CHARS) return text;
  const stride = Math.floor((text.length - KEY_WINDOW_CHARS) / (KEY_WINDOWS - 1));
  const windows = Array.from({ length: KEY_WINDOWS }, (_, w) => text.slice(w * stride, w * stride + KEY_WINDOW_CHARS));
  return `${text.length}:${windows.join("|")}`;
}
