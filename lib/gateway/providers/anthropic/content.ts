// OpenAI content parts → Anthropic content blocks (text and images). Pure; refusals are our 400s
// naming the tenant's own field, so a request the upstream would reject never leaves the gateway.
import type { ContentPart } from "../../chat-request";
import { GatewayError } from "../../errors";
import { isRecord } from "../../request-validation";
import type { AnthropicCacheControl, AnthropicImageBlock, AnthropicImageMediaType, AnthropicTextBlock } from "./types";

export type MessageContent = string | null | undefined | ContentPart[];

/** A 400 about a part of `messages`: names the exact path in the text, `param` stays "messages". */
export function invalidMessages(path: string, why: string): GatewayError {
  return new GatewayError("invalid_request", `Invalid value for '${path}': ${why}.`, { param: "messages" });
}

/**
 * Text blocks of a content that may only hold text (system, developer, tool and assistant
 * messages). Assistant `refusal` parts are text the model said, so they are replayed as text.
 */
export function textBlocksOf(content: MessageContent, path: string, allowRefusal = false): AnthropicTextBlock[] {
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) return [];
  return content.flatMap((part, i) => {
    if (part.type === "text") return textBlock(textOf(part, `${path}.${i}.text`, "text"), part);
    if (allowRefusal && part.type === "refusal") return textBlock(textOf(part, `${path}.${i}.refusal`, "refusal"));
    throw invalidMessages(`${path}.${i}.type`, `'${part.type.slice(0, 40)}' parts are not supported in this message`);
  });
}

/** Blocks of a user message: text and images. */
export function userBlocksOf(content: MessageContent, path: string): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) return [];
  return content.flatMap((part, i): Array<AnthropicTextBlock | AnthropicImageBlock> => {
    if (part.type === "text") return textBlock(textOf(part, `${path}.${i}.text`, "text"), part);
    if (part.type === "image_url") return [imageBlock(part, `${path}.${i}.image_url`)];
    throw invalidMessages(
      `${path}.${i}.type`,
      `'${part.type.slice(0, 40)}' parts are not supported on this model (use 'text' or 'image_url')`,
    );
  });
}

// Anthropic refuses empty text blocks and text blocks of only whitespace ("text content blocks must
// be non-empty" / "must contain non-whitespace text", https://docs.anthropic.com/en/api/messages):
// such parts carry nothing for the model, so they are left out rather than sent to fail.
function textBlock(text: string, part?: ContentPart): AnthropicTextBlock[] {
  if (text.trim().length === 0) return [];
  const cacheControl = part && cacheControlOf(part);
  return [cacheControl ? { type: "text", text, cache_control: cacheControl } : { type: "text", text }];
}

function textOf(part: ContentPart, path: string, field: string): string {
  const text = part[field];
  if (typeof text !== "string") throw invalidMessages(path, "expected a string");
  return text;
}

/**
 * Prompt caching is opt-in per block on Anthropic: nothing is cached unless a block carries
 * `cache_control` (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching). OpenAI has no
 * such field, so a content part may carry Anthropic's own `cache_control` (as OpenRouter and LiteLLM
 * accept it); only its documented shape is forwarded.
 */
export function cacheControlOf(part: Record<string, unknown>): AnthropicCacheControl | undefined {
  const value = part.cache_control;
  if (!isRecord(value) || value.type !== "ephemeral") return undefined;
  return value.ttl === "5m" || value.ttl === "1h" ? { type: "ephemeral", ttl: value.ttl } : { type: "ephemeral" };
}

// The image types Anthropic accepts (https://docs.anthropic.com/en/docs/build-with-claude/vision).
const MEDIA_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/**
 * `{type:"image_url", image_url:{url}}` → an image block: a base64 data URL becomes a base64 source,
 * an http(s) URL a url source (Anthropic fetches it). OpenAI's `detail` has no Anthropic equivalent.
 */
function imageBlock(part: ContentPart, path: string): AnthropicImageBlock {
  const image = part.image_url;
  const url = typeof image === "string" ? image : isRecord(image) ? image.url : undefined;
  if (typeof url !== "string") throw invalidMessages(`${path}.url`, "expected a string");
  const cacheControl = cacheControlOf(part);
  const block = (source: AnthropicImageBlock["source"]): AnthropicImageBlock =>
    cacheControl ? { type: "image", source, cache_control: cacheControl } : { type: "image", source };

  if (/^https?:\/\//i.test(url)) return block({ type: "url", url });
  if (!/^data:/i.test(url)) throw invalidMessages(`${path}.url`, "expected an http(s) URL or a base64 data URL");
  // data:[<media type>][;base64],<data> (RFC 2397); the header is short, the data may be megabytes.
  const comma = url.indexOf(",");
  const header = comma < 0 ? "" : url.slice(5, comma).toLowerCase();
  const [mediaType = "", ...params] = header.split(";");
  if (comma < 0 || !params.includes("base64")) {
    throw invalidMessages(`${path}.url`, "a data URL must be base64-encoded (data:image/png;base64,…)");
  }
  const normalized = mediaType === "image/jpg" ? "image/jpeg" : mediaType; // a common misspelling
  if (!MEDIA_TYPES.has(normalized)) {
    throw invalidMessages(
      `${path}.url`,
      `image type '${mediaType.slice(0, 40)}' is not supported on this model (use image/jpeg, image/png, image/gif or image/webp)`,
    );
  }
  return block({ type: "base64", media_type: normalized as AnthropicImageMediaType, data: url.slice(comma + 1) });
}
