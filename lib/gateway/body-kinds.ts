import { prepareBody, type BodyKind, type BodyLimits, type PreparedBody, type RawFields } from "./prepared-body";
import { prepareMessagesBody, type PreparedMessagesBody } from "./surfaces/messages/prepare";
import { prepareResponsesBody, type PreparedResponsesBody } from "./surfaces/responses/prepare";

// Every body the pipeline prepares before routing, by kind: /v1/chat/completions and /v1/embeddings
// (prepared-body.ts), /v1/messages and /v1/responses (their surfaces translate them to the canonical
// chat body in the same pass). body-pool.ts runs large ones on a worker thread.

export type AnyBodyKind = BodyKind | "messages" | "responses";
export type AnyPreparedBody = PreparedBody | PreparedMessagesBody | PreparedResponsesBody;

export function prepareAnyBody(kind: AnyBodyKind, bytes: Uint8Array, limits: BodyLimits): AnyPreparedBody {
  if (kind === "messages") return prepareMessagesBody(bytes, limits);
  if (kind === "responses") return prepareResponsesBody(bytes, limits);
  return prepareBody(kind, bytes, limits);
}

function rawFieldsOf(prepared: AnyPreparedBody): RawFields[] {
  if (prepared.kind === "messages") return [prepared.chat.raw, prepared.native.raw];
  if (prepared.kind === "responses") return [prepared.chat.raw];
  return [prepared.raw];
}

/** The buffers a worker hands over with its answer (moved, not copied). */
export function transferables(prepared: AnyPreparedBody): ArrayBuffer[] {
  return rawFieldsOf(prepared).map((raw) => raw.bytes.buffer as ArrayBuffer);
}

/** After a transfer the large fields arrive as plain Uint8Arrays: Buffer views are handier. */
export function asBufferViews(prepared: AnyPreparedBody): void {
  for (const raw of rawFieldsOf(prepared))
    raw.bytes = Buffer.from(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength);
}
