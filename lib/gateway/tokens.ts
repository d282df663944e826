// Local token counting, in two deliberately different flavours:
//  - upper bounds (promptTokenUpperBound, embeddingInputUpperBound) size the billing hold. They must
//    never be below what the provider will bill, or a request could cost more than its hold and a
//    balance could go negative (DESIGN §3). Over-estimating only holds a little more for a moment.
//  - realistic estimates (estimateTokens, countStreamedOutputTokens) bill output that a cut stream
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
// the bound takes the longest of the raw, NFC and NFKC byte lengths. Base64 payloads that are not
// images (input_audio, files) are counted as bytes, which over-bounds them. Finally the context
// window caps everything: a provider refuses (or truncates to) prompts longer than it.

const encoder = new TextEncoder();

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
  const imageTokens = options.imageTokens ?? DEFAULT_IMAGE_TOKENS;
  const request = isRecord(body) ? body : {};
  let images = 0;
  const stripImages = (_key: string, value: unknown) => {
    if (isRecord(value) && typeof value.type === "string" && IMAGE_PART_TYPES.has(value.type)) {
      images++;
      return { type: value.type }; // the placeholder's own bytes are harmless slack
    }
    return value;
  };

  const messages = request.messages;
  const messageCount = Array.isArray(messages) ? messages.length : 0;
  // `prompt` (legacy completions) and `system` (Anthropic-style) are included so the same bound
  // serves the other endpoints.
  const textBytes = jsonBytes({ messages, prompt: request.prompt, system: request.system }, stripImages);
  const hasTools = request.tools !== undefined || request.functions !== undefined;
  const structuredBytes = jsonBytes({
    tools: request.tools,
    functions: request.functions,
    tool_choice: request.tool_choice,
    function_call: request.function_call,
    response_format: request.response_format,
  });

  const bound =
    textBytes +
    STRUCTURED_FACTOR * structuredBytes +
    messageCount * PER_MESSAGE_OVERHEAD_TOKENS +
    PER_REQUEST_OVERHEAD_TOKENS +
    (hasTools ? TOOLS_OVERHEAD_TOKENS : 0) +
    images * imageTokens;
  return capByWindow(bound, contextWindow);
}

/**
 * Upper bound for /v1/embeddings input: string | string[] | number[] | number[][].
 * Token-id arrays are exact (their length). Strings count UTF-8 bytes plus 2 for the [CLS]/[SEP]
 * or BOS/EOS some embedding models add. Each input is capped by the window separately: the limit
 * applies per input, and a provider that truncates bills at most the window for it.
 */
export function embeddingInputUpperBound(input: unknown, contextWindow: number): number {
  const one = (item: unknown): number => {
    if (typeof item === "string") return capByWindow(boundBytes(item) + 2, contextWindow);
    if (Array.isArray(item) && item.every((x) => typeof x === "number")) return item.length;
    return capByWindow(jsonBytes(item), contextWindow); // malformed; validation elsewhere refuses it
  };
  if (typeof input === "string") return one(input);
  if (Array.isArray(input)) {
    if (input.every((x) => typeof x === "number")) return input.length; // a single token-id array
    return input.reduce((sum: number, item) => sum + one(item), 0);
  }
  return one(input);
}

/**
 * A realistic token count for text we received, used when a stream was cut before the provider
 * sent usage. Rules of thumb shared by modern tokenizers: ≈ 4 UTF-8 bytes per token for English and
 * code, ≈ 1 token per CJK character (many are 1 token, some 2, common pairs merge). Non-CJK text is
 * counted in runs so a word split by a CJK character is not rounded up twice per character.
 */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  let tokens = 0;
  let runBytes = 0;
  for (const char of text) {
    const cp = char.codePointAt(0) as number;
    if (isCjk(cp)) {
      tokens += Math.ceil(runBytes / 4) + 1;
      runBytes = 0;
    } else {
      runBytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
  }
  return tokens + Math.ceil(runBytes / 4);
}

/**
 * Output tokens of a cut stream. OpenAI-compatible providers emit about one token per content /
 * reasoning / tool-argument delta, so the delta count is the most faithful local count; the text
 * estimate covers providers that batch several tokens per delta.
 */
export function countStreamedOutputTokens(contentDeltas: number, text: string): number {
  const deltas = Number.isFinite(contentDeltas) ? Math.max(0, Math.floor(contentDeltas)) : 0;
  return Math.max(deltas, estimateTokens(text));
}

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Bytes the tokenizer may see after Unicode normalisation (only non-ASCII text can change). */
function boundBytes(text: string): number {
  const raw = utf8Bytes(text);
  if (!/[^\x00-\x7f]/.test(text)) return raw;
  return Math.max(raw, utf8Bytes(text.normalize("NFC")), utf8Bytes(text.normalize("NFKC")));
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

function jsonBytes(value: unknown, replacer?: (key: string, value: unknown) => unknown): number {
  try {
    const json = JSON.stringify(value, replacer);
    return json === undefined ? 0 : boundBytes(json);
  } catch {
    return Number.MAX_SAFE_INTEGER; // cycles/BigInt cannot come from parsed JSON; fail towards the cap
  }
}

function capByWindow(tokens: number, contextWindow: number): number {
  // A missing/invalid window means "unknown": no cap rather than a bogus one.
  return Number.isFinite(contextWindow) && contextWindow > 0 ? Math.min(tokens, Math.floor(contextWindow)) : tokens;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
