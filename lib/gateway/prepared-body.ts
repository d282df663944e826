import { autoFeatures, type AutoFeatures } from "./auto/features";
import { autoVariant } from "./auto/router";
import { parseChatRequest, parseEmbeddingsRequest, type ChatBodyLimits } from "./chat-request";
import { GatewayError } from "./errors";
import { parseJsonBytes } from "./read-body";
import { embeddingItemBounds, estimateTokens, promptBoundParts, type PromptBoundParts } from "./tokens";

// Everything the gateway needs from a client's body before the upstream call, computed in one pass
// (on a worker thread for large bodies, see body-pool.ts): validated small fields as values, large
// fields as ready-made JSON bytes (never parsed again on the main thread, sent upstream as they are),
// and the model-independent halves of the token bound and the tokens-per-minute estimate.

export type BodyKind = "chat" | "embeddings";

export interface BodyLimits extends ChatBodyLimits {
  maxDepth: number;
}

/** A top-level field whose compact JSON is longer than this travels as bytes, not as a value. */
export const RAW_FIELD_MIN_CHARS = 16 * 1024;

export interface RawFields {
  /** The fields' compact JSON, one after the other (UTF-8). */
  bytes: Uint8Array;
  /** name, start, end (byte offsets into `bytes`) for each raw field. */
  fields: Array<[name: string, start: number, end: number]>;
}

interface PreparedBase {
  /** The validated top-level fields, except those in `raw`. */
  head: Record<string, unknown>;
  raw: RawFields;
  /** Size of the client's body in bytes. */
  bodyBytes: number;
}

export interface PreparedChatBody extends PreparedBase {
  kind: "chat";
  /** For promptTokenUpperBoundFromParts(parts, model.contextWindow, …). */
  promptBound: PromptBoundParts;
  /** estimateTokens of the messages' JSON: the realistic prompt size for tokens-per-minute limits and estimated usage. */
  promptTokenEstimate: number;
  /** For `model: "auto"` only: what the router needs to know about the request (difficulty, needs). */
  auto?: AutoFeatures;
}

export interface PreparedEmbeddingsBody extends PreparedBase {
  kind: "embeddings";
  /** For embeddingBoundFromItems(itemBounds, model.contextWindow). */
  itemBounds: number[];
  /** The realistic input size (as embeddings.ts estimates it). */
  inputTokenEstimate: number;
}

export type PreparedBody = PreparedChatBody | PreparedEmbeddingsBody;

/** Bytes → prepared body; throws the same GatewayErrors (400) as readJsonBody + parse*Request. */
export function prepareChatBody(bytes: Uint8Array, limits: BodyLimits): PreparedChatBody {
  return prepareChatObject(parseJsonBytes(bytes, limits.maxDepth), bytes.length, limits);
}

/** `prepareChatBody` of a body already parsed (another surface's request, translated to the canonical one). */
export function prepareChatObject(parsed: unknown, bodyBytes: number, limits: BodyLimits): PreparedChatBody {
  const body = parseChatRequest(parsed, limits);
  const { head, raw, json } = splitLargeFields(body);
  return {
    kind: "chat",
    head,
    raw,
    bodyBytes,
    promptBound: promptBoundParts(body),
    promptTokenEstimate: estimateTokens(json.get("messages") ?? JSON.stringify(body.messages)),
    ...(autoVariant(body.model) ? { auto: autoFeatures(body) } : {}),
  };
}

export function prepareEmbeddingsBody(bytes: Uint8Array, limits: BodyLimits): PreparedEmbeddingsBody {
  const body = parseEmbeddingsRequest(parseJsonBytes(bytes, limits.maxDepth));
  const { head, raw } = splitLargeFields(body);
  const items: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
  let inputTokenEstimate = 0;
  for (const item of items) {
    inputTokenEstimate += typeof item === "string" ? estimateTokens(item) : Array.isArray(item) ? item.length : 1;
  }
  return {
    kind: "embeddings",
    head,
    raw,
    bodyBytes: bytes.length,
    itemBounds: embeddingItemBounds(body.input),
    inputTokenEstimate,
  };
}

export function prepareBody(kind: BodyKind, bytes: Uint8Array, limits: BodyLimits): PreparedBody {
  return kind === "chat" ? prepareChatBody(bytes, limits) : prepareEmbeddingsBody(bytes, limits);
}

/** A body's small fields as values and its large ones (containers above RAW_FIELD_MIN_CHARS) as JSON bytes. */
export function splitLargeFields(body: Record<string, unknown>) {
  const head: Record<string, unknown> = {};
  const json = new Map<string, string>();
  const pieces: Buffer[] = [];
  const fields: RawFields["fields"] = [];
  let offset = 0;
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    // Containers only: a long string is one memcpy to clone, an object tree is not.
    const text = typeof value === "object" && value !== null ? JSON.stringify(value) : undefined;
    if (text === undefined || text.length < RAW_FIELD_MIN_CHARS) {
      head[name] = value;
      continue;
    }
    json.set(name, text);
    const piece = Buffer.from(text, "utf8");
    pieces.push(piece);
    fields.push([name, offset, offset + piece.length]);
    offset += piece.length;
  }
  // One fresh buffer (never a slice of Node's shared pool), so it can be transferred, not copied.
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return { head, raw: { bytes, fields }, json };
}

// ---------------------------------------------------------------------------------------------
// Main-thread helpers: cheap whatever the body's size.

/** The JSON bytes of one raw field (a view, no copy), or undefined when the field is in `head` or absent. */
export function rawFieldJson(prepared: PreparedBody, name: string): Uint8Array | undefined {
  const field = prepared.raw.fields.find(([fieldName]) => fieldName === name);
  return field && prepared.raw.bytes.subarray(field[1], field[2]);
}

/** Every top-level field name of the client's body, raw ones included. */
export function fieldNames(prepared: PreparedBody): string[] {
  return [...Object.keys(prepared.head), ...prepared.raw.fields.map(([name]) => name)];
}

/**
 * The JSON body for an upstream, as chunks to write one after the other (undici takes an iterable
 * body; sum their lengths for content-length), without serialising the large fields again: `keep`
 * chooses the client's fields (an allow-list), `set` adds or replaces fields (model, output cap,
 * stream_options). The large fields are views of the prepared bytes: nothing is copied.
 */
export function upstreamJsonChunks(
  prepared: Pick<PreparedBody, "head" | "raw">,
  options: { keep?: (name: string) => boolean; set?: Record<string, unknown> } = {},
): Uint8Array[] {
  const keep = options.keep ?? (() => true);
  const set = options.set ?? {};
  const members: string[] = [];
  for (const [name, value] of Object.entries(prepared.head)) {
    if (keep(name) && !(name in set)) members.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  for (const [name, value] of Object.entries(set)) {
    if (value !== undefined) members.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  const chunks: Uint8Array[] = [Buffer.from(`{${members.join(",")}`)];
  let empty = members.length === 0;
  for (const [name, start, end] of prepared.raw.fields) {
    if (!keep(name) || name in set) continue;
    chunks.push(Buffer.from(`${empty ? "" : ","}${JSON.stringify(name)}:`), prepared.raw.bytes.subarray(start, end));
    empty = false;
  }
  chunks.push(Buffer.from("}"));
  return chunks;
}

/** `upstreamJsonChunks` in one buffer (one memcpy of the large fields). */
export function upstreamJsonBytes(
  prepared: Pick<PreparedBody, "head" | "raw">,
  options: { keep?: (name: string) => boolean; set?: Record<string, unknown> } = {},
): Buffer {
  return Buffer.concat(upstreamJsonChunks(prepared, options));
}

/**
 * The whole body as a value, for code that still needs the large fields as objects (the demo
 * provider, adapters that translate messages). This parses the large fields on the calling thread:
 * keep it off the hot path for large bodies.
 */
export function materializeBody(prepared: PreparedBody): Record<string, unknown> {
  const body: Record<string, unknown> = { ...prepared.head };
  const decoder = new TextDecoder();
  for (const [name, start, end] of prepared.raw.fields) {
    body[name] = JSON.parse(decoder.decode(prepared.raw.bytes.subarray(start, end)));
  }
  return body;
}

/** The wire form of an error thrown while preparing (GatewayErrors keep kind, message and param). */
export interface PrepareFailure {
  kind: GatewayError["kind"];
  message: string;
  param: string | null;
}

export function toPrepareFailure(error: unknown): PrepareFailure | null {
  return error instanceof GatewayError ? { kind: error.kind, message: error.message, param: error.param } : null;
}

export function fromPrepareFailure(failure: PrepareFailure): GatewayError {
  return new GatewayError(failure.kind, failure.message, { param: failure.param });
}
