// Local token counting, in two deliberately different flavours:
//  - upper bounds (promptTokenUpperBound, embeddingInputUpperBound) size the billing hold. They must
//    never be below what the provider will bill, or a request could cost more than its hold and a
//    balance could go negative (DESIGN §3). Over-estimating only holds a little more for a moment.
//  - realistic estimates (estimateTokens, and the relay's count of output deltas) bill output that a cut stream
//    produced when the provider never reported usage. These should be fair, not pessimistic.
//
// Why UTF-8 bytes bound tokens: every tokenizer our providers use (byte-level BPE: tiktoken, Qwen,
// DeepSeek, GLM; SentencePiece with byte fallback) emits each token for at least one byte of input,
// so tokens(text) ≤ utf8Bytes(text). We count the JSON serialisation of the prompt-bearing fields,
// which contains every string the provider renders (contents, names, tool-call arguments, tool
// schemas) plus quotes, keys and escapes that it does not, which is free slack. What JSON does not
// contain is the chat template: role markers and special tokens per message, and the boilerplate
// some templates wrap around tool definitions; fixed overheads below cover those. Tokenizers that
// Unicode-normalise first (NFC/NFKC) can lengthen text (U+0958 → 2 code points, U+FDFA → 18), so
// the bound adds, per code point, the most bytes NFC/NFKC (or their decompositions) can add to it,
// from a table generated from ICU (normalization-growth.ts): composition never lengthens text, so
// this is at least the longest of the raw, NFC and NFKC byte lengths, without normalising anything.
// Base64 payloads that are not images (input_audio, files) are counted as bytes, which over-bounds
// them. Finally the context window caps everything: a provider refuses (or truncates to) prompts
// longer than it.
//
// Cost: the bounds walk the body once and never build its JSON: UTF-8 lengths come from
// Buffer.byteLength, and only strings holding non-ASCII (or characters JSON escapes) are looked at
// character by character. A 19 MiB body takes tens of milliseconds, not seconds (bench/body-block.ts).

import { NORMALIZATION_GROWTH_RANGES } from "./normalization-growth";

/** Template tokens per message (<|im_start|>role\n … <|im_end|>\n and similar): ≤ 8 in every template we know. */
export const PER_MESSAGE_OVERHEAD_TOKENS = 8;
/** Per request: BOS, reply priming (<|im_start|>assistant\n), a default system prompt marker. */
export const PER_REQUEST_OVERHEAD_TOKENS = 16;
/** Tool-use preambles (e.g. Anthropic's tool system prompt ≈ 350 tokens, Qwen's ≈ 150). */
export const TOOLS_OVERHEAD_TOKENS = 1_024;
/**
 * Images are priced by the provider, not by their bytes (a base64 data URL would otherwise bound at
 * millions). OpenAI gpt-4o high detail tops out at 1,445 tokens (85 + 170 × 8 tiles), Claude at
 * ≈1,600 (1.15 MP / 750). Models that price images higher (gpt-4o-mini's multiplied tiles, Qwen-VL
 * with large max_pixels) must pass their own `imageTokens`.
 */
export const DEFAULT_IMAGE_TOKENS = 2_000;

// Structured fields (tool schemas, response_format) may be re-rendered pretty-printed by the chat
// template (", " / ": " / newline+indent): at most one extra whitespace token per structural byte,
// so doubling their compact size bounds them.
const STRUCTURED_FACTOR = 2;

const IMAGE_PART_TYPES = new Set(["image_url", "image", "input_image"]);

export interface PromptBoundOptions {
  imageTokens?: number;
}

/**
 * A true upper bound on the prompt tokens an OpenAI-style chat request will be billed for, for any
 * byte-level tokenizer, capped by the model's context window.
 */
export function promptTokenUpperBound(body: unknown, contextWindow: number, options: PromptBoundOptions = {}): number {
  return promptTokenUpperBoundFromParts(promptBoundParts(body), contextWindow, options);
}

/** What the prompt bound needs from a body, independent of the model (so it can be measured off the main thread). */
export interface PromptBoundParts {
  /** JSON bytes (+ normalisation growth) of messages, prompt and system, each image part counted as its placeholder. */
  textBytes: number;
  /** JSON bytes (+ growth) of tools, functions, tool_choice, function_call and response_format. */
  structuredBytes: number;
  messageCount: number;
  images: number;
  hasTools: boolean;
}

export function promptBoundParts(body: unknown): PromptBoundParts {
  const request = isRecord(body) ? body : {};
  const messages = request.messages;
  const text = new JsonSize(true);
  // `prompt` (legacy completions) and `system` (Anthropic-style) are included so the same bound
  // serves the other endpoints.
  const textBytes = text.measure({ messages, prompt: request.prompt, system: request.system });
  const structuredBytes = new JsonSize(false).measure({
    tools: request.tools,
    functions: request.functions,
    tool_choice: request.tool_choice,
    function_call: request.function_call,
    response_format: request.response_format,
  });
  return {
    textBytes,
    structuredBytes,
    messageCount: Array.isArray(messages) ? messages.length : 0,
    images: text.images,
    hasTools: request.tools !== undefined || request.functions !== undefined,
  };
}

export function promptTokenUpperBoundFromParts(
  parts: PromptBoundParts,
  contextWindow: number,
  options: PromptBoundOptions = {},
): number {
  const imageTokens = options.imageTokens ?? DEFAULT_IMAGE_TOKENS;
  const bound =
    parts.textBytes +
    STRUCTURED_FACTOR * parts.structuredBytes +
    parts.messageCount * PER_MESSAGE_OVERHEAD_TOKENS +
    PER_REQUEST_OVERHEAD_TOKENS +
    (parts.hasTools ? TOOLS_OVERHEAD_TOKENS : 0) +
    parts.images * imageTokens;
  return capByWindow(bound, contextWindow);
}

/**
 * Upper bound for /v1/embeddings input: string | string[] | number[] | number[][].
 * Token-id arrays are exact (their length). Strings count UTF-8 bytes plus 2 for the [CLS]/[SEP]
 * or BOS/EOS some embedding models add. Each input is capped by the window separately: the limit
 * applies per input, and a provider that truncates bills at most the window for it.
 */
export function embeddingInputUpperBound(input: unknown, contextWindow: number): number {
  return embeddingBoundFromItems(embeddingItemBounds(input), contextWindow);
}

/**
 * The model-independent half of `embeddingInputUpperBound`: one uncapped bound per input (strings:
 * bytes + growth + 2; token-id arrays: their length, marked negative so the window never caps them).
 */
export function embeddingItemBounds(input: unknown): number[] {
  const one = (item: unknown): number => {
    if (typeof item === "string") return stringBytes(item) + 2;
    if (Array.isArray(item) && item.every((x) => typeof x === "number")) return -item.length;
    return jsonBytes(item); // malformed; validation elsewhere refuses it
  };
  if (typeof input === "string") return [one(input)];
  if (Array.isArray(input)) {
    if (input.every((x) => typeof x === "number")) return [-input.length]; // a single token-id array
    return input.map(one);
  }
  return input === undefined ? [] : [one(input)];
}

export function embeddingBoundFromItems(items: number[], contextWindow: number): number {
  let total = 0;
  for (const bound of items) total += bound < 0 ? -bound : capByWindow(bound, contextWindow);
  return total;
}

/**
 * A realistic token count for text we received, used when a stream was cut before the provider
 * sent usage. Rules of thumb shared by modern tokenizers: ≈ 4 UTF-8 bytes per token for English and
 * code, ≈ 1 token per CJK character (many are 1 token, some 2, common pairs merge). Non-CJK text is
 * counted in runs so a word split by a CJK character is not rounded up twice per character.
 */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes === text.length) return Math.ceil(bytes / 4); // ASCII only
  if (text.length > ESTIMATE_FULL_SCAN_CHARS) return Math.min(bytes, estimateBySampling(text));
  return estimateScanning(text);
}

// Above this, the realistic estimate reads evenly spaced windows instead of every character: it
// feeds tokens-per-minute limits and estimated usage, where a few percent do not matter, and it
// must stay a bounded step on the event loop however long the prompt.
const ESTIMATE_FULL_SCAN_CHARS = 1 << 20;
const ESTIMATE_WINDOWS = 64;
const ESTIMATE_WINDOW_CHARS = 1 << 13;

function estimateBySampling(text: string): number {
  const stride = Math.floor(text.length / ESTIMATE_WINDOWS);
  let sampledTokens = 0;
  let sampledChars = 0;
  for (let w = 0; w < ESTIMATE_WINDOWS; w++) {
    const window = text.slice(w * stride, w * stride + ESTIMATE_WINDOW_CHARS);
    sampledTokens += estimateScanning(window);
    sampledChars += window.length;
  }
  return Math.ceil((sampledTokens * text.length) / sampledChars);
}

function estimateScanning(text: string): number {
  let tokens = 0;
  let runBytes = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      runBytes++;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (isCjk(cp)) {
      tokens += Math.ceil(runBytes / 4) + 1;
      runBytes = 0;
    } else {
      runBytes += cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
  }
  return tokens + Math.ceil(runBytes / 4);
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Bytes the tokenizer may see after Unicode normalisation (only non-ASCII text can change). */
function stringBytes(text: string): number {
  const raw = Buffer.byteLength(text, "utf8");
  // As many bytes as UTF-16 units means ASCII only (anything else takes ≥ 2 bytes per unit):
  // a native length count, several times faster than a /[^\x00-\x7f]/ scan.
  return raw === text.length ? raw : raw + normalizationGrowth(text);
}

// Per BMP code unit, the bytes normalisation may add; astral code points (a few dozen) in a map.
const BMP_GROWTH = new Uint8Array(0x10000);
const ASTRAL_GROWTH = new Map<number, number>();
for (const range of NORMALIZATION_GROWTH_RANGES.split(",")) {
  const [span, growth] = range.split(":");
  const [start, extra = "0"] = span.split("-");
  const first = parseInt(start, 36);
  for (let cp = first; cp <= first + parseInt(extra, 36); cp++) {
    if (cp < 0x10000) BMP_GROWTH[cp] = parseInt(growth, 36);
    else ASTRAL_GROWTH.set(cp, parseInt(growth, 36));
  }
}

/** The most UTF-8 bytes NFC, NFKC (or NFD/NFKD) can add to `text`, as a sum over its code points. */
export function normalizationGrowth(text: string): number {
  let growth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        if (ASTRAL_GROWTH.size > 0)
          growth += ASTRAL_GROWTH.get(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)) ?? 0;
        continue;
      }
    }
    growth += BMP_GROWTH[unit];
  }
  return growth;
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified ideographs
    (cp >= 0x3400 && cp <= 0x4dbf) || // extension A
    (cp >= 0x20000 && cp <= 0x2ebef) || // extensions B–F
    (cp >= 0xf900 && cp <= 0xfaff) || // compatibility ideographs
    (cp >= 0x3040 && cp <= 0x30ff) || // hiragana, katakana
    (cp >= 0x31f0 && cp <= 0x31ff) || // katakana phonetic extensions
    (cp >= 0xac00 && cp <= 0xd7af) || // hangul syllables
    (cp >= 0x1100 && cp <= 0x11ff) || // hangul jamo
    (cp >= 0x3000 && cp <= 0x303f) || // CJK punctuation
    (cp >= 0xff00 && cp <= 0xffef) // full-width forms
  );
}

/** Bytes of JSON.stringify(value) plus the normalisation growth of its strings, without building the JSON. */
export function jsonBytes(value: unknown): number {
  return new JsonSize(false).measure(value);
}

// Characters JSON.stringify writes as escapes (\" \\ \n \u0000 …) and lone surrogates (\udxxx).
const NEEDS_ESCAPE = /["\\\x00-\x1f\ud800-\udfff]/;

/**
 * The byte length of JSON.stringify(value) plus the normalisation growth of its strings, measured
 * without building the JSON. With `stripImages`, image content parts count as {"type":"…"} and are
 * tallied in `images` instead. Parsed JSON only (no cycles, toJSON, BigInt): anything else fails
 * towards the largest bound.
 */
class JsonSize {
  images = 0;

  constructor(private readonly stripImages: boolean) {}

  measure(value: unknown): number {
    try {
      return this.size(value);
    } catch {
      return Number.MAX_SAFE_INTEGER; // cycles cannot come from parsed JSON; fail towards the cap
    }
  }

  private size(value: unknown): number {
    switch (typeof value) {
      case "string":
        return stringJsonBytes(value);
      case "number":
        return Number.isFinite(value) ? String(value).length : 4;
      case "boolean":
        return value ? 4 : 5;
      case "object":
        break;
      default:
        return 0; // undefined and functions are left out by JSON.stringify
    }
    if (value === null) return 4;
    if (Array.isArray(value)) {
      let bytes = 2 + Math.max(0, value.length - 1); // brackets and commas
      for (const item of value) bytes += item === undefined ? 4 : this.size(item);
      return bytes;
    }
    const record = value as Record<string, unknown>;
    if (this.stripImages && typeof record.type === "string" && IMAGE_PART_TYPES.has(record.type)) {
      this.images++;
      return 10 + stringJsonBytes(record.type); // {"type":…}: the placeholder's own bytes are harmless slack
    }
    let bytes = 2;
    let fields = 0;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (item === undefined || typeof item === "function") continue;
      bytes += stringJsonBytes(key) + 1 + this.size(item);
      fields++;
    }
    return bytes + Math.max(0, fields - 1);
  }
}

function stringJsonBytes(text: string): number {
  const bytes = 2 + stringBytes(text);
  return NEEDS_ESCAPE.test(text) ? bytes + escapeBytes(text) : bytes;
}

/** Extra bytes JSON escapes add over the raw UTF-8 (a lone surrogate: "\udxxx" is 6 bytes, its U+FFFD 3). */
function escapeBytes(text: string): number {
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (
      unit === 0x22 ||
      unit === 0x5c ||
      unit === 0x08 ||
      unit === 0x0c ||
      unit === 0x0a ||
      unit === 0x0d ||
      unit === 0x09
    )
      extra += 1;
    else if (unit < 0x20) extra += 5;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (low >= 0xdc00 && low <= 0xdfff) i++;
      else extra += 3;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) extra += 3;
  }
  return extra;
}

function capByWindow(tokens: number, contextWindow: number): number {
  // A missing/invalid window means "unknown": no cap rather than a bogus one.
  return Number.isFinite(contextWindow) && contextWindow > 0 ? Math.min(tokens, Math.floor(contextWindow)) : tokens;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
