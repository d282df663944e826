import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { chatBodyLimits } from "./chat-request";
import { gatewayConfig } from "./config";
import { asBufferViews, prepareAnyBody, type AnyBodyKind, type AnyPreparedBody } from "./body-kinds";
import {
  fromPrepareFailure,
  type BodyLimits,
  type PrepareFailure,
  type PreparedChatBody,
  type PreparedEmbeddingsBody,
} from "./prepared-body";
import type { PreparedMessagesBody } from "./surfaces/messages/prepare";
import type { PreparedResponsesBody } from "./surfaces/responses/prepare";
import { logger } from "@/lib/log";

const log = logger("gateway");

// Bodies above TOKENFLOW_BODY_WORKER_THRESHOLD_BYTES are prepared (decode, depth scan, parse,
// validation, token bounds, pre-serialised large fields) on a small pool of worker threads, so no
// request holds the event loop for long: the main thread only transfers the bytes in and receives
// small fields plus one transferred buffer back. Smaller bodies are prepared inline (cheaper than a hop).
// The workers run the TypeScript sources through tsx, as `npm start` does (the standalone build: a
// compiled copy).

interface Pending {
  resolve(prepared: AnyPreparedBody): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  /** Jobs sent to this worker and not answered yet. */
  jobs: Map<number, Pending>;
  ready: Promise<void>;
}

let workers: PoolWorker[] = [];
let nextJobId = 1;
let warnedUnavailable = false;

export function bodyLimits(): BodyLimits {
  return { ...chatBodyLimits(), maxDepth: gatewayConfig().TOKENFLOW_MAX_JSON_DEPTH };
}

/**
 * Decodes, checks, parses, validates and measures a /v1/chat/completions body; rejects with the
 * same GatewayErrors (400) as readJsonBody + parseChatRequest. A large `bytes` is handed over to
 * a worker (its memory is transferred, so do not use it afterwards).
 */
export function prepareChatBody(bytes: Buffer): Promise<PreparedChatBody> {
  return prepare("chat", bytes) as Promise<PreparedChatBody>;
}

/** `prepareChatBody` for /v1/embeddings. */
export function prepareEmbeddingsBody(bytes: Buffer): Promise<PreparedEmbeddingsBody> {
  return prepare("embeddings", bytes) as Promise<PreparedEmbeddingsBody>;
}

/** `prepareChatBody` for /v1/messages: validated, translated to the canonical chat body, the client's own kept. */
export function prepareMessagesBody(bytes: Buffer): Promise<PreparedMessagesBody> {
  return prepare("messages", bytes) as Promise<PreparedMessagesBody>;
}

/** `prepareChatBody` for /v1/responses: validated and translated to the canonical chat body. */
export function prepareResponsesBody(bytes: Buffer): Promise<PreparedResponsesBody> {
  return prepare("responses", bytes) as Promise<PreparedResponsesBody>;
}

async function prepare(kind: AnyBodyKind, bytes: Buffer): Promise<AnyPreparedBody> {
  const limits = bodyLimits();
  if (bytes.length <= gatewayConfig().TOKENFLOW_BODY_WORKER_THRESHOLD_BYTES) return prepareAnyBody(kind, bytes, limits);
  const target = leastBusy();
  try {
    await target.ready;
  } catch (error) {
    // Workers cannot start here (e.g. no tsx): correct but blocking beats failing every large request.
    if (!warnedUnavailable) log.error({ err: error }, "body workers unavailable, preparing large bodies inline");
    warnedUnavailable = true;
    return prepareAnyBody(kind, bytes, limits);
  }
  const id = nextJobId++;
  // The caller's buffer is handed over (no copy) when it owns its memory; a pooled slice is copied.
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const payload = owned ? bytes : Uint8Array.prototype.slice.call(bytes);
  return new Promise<AnyPreparedBody>((resolve, reject) => {
    target.jobs.set(id, { resolve, reject });
    target.worker.postMessage({ id, kind, bytes: payload, limits }, [payload.buffer as ArrayBuffer]);
  });
}

/** Starts the workers now rather than on the first large body (they take a moment to load). */
export async function warm(): Promise<void> {
  await Promise.all(pool().map((w) => w.ready));
}

/** Stops the workers (tests, shutdown): their waiting jobs fail; the next large body starts new ones. */
export async function close(): Promise<void> {
  const stopping = workers;
  workers = [];
  await Promise.all(stopping.map((w) => w.worker.terminate()));
}

/** The workers, topped up to the configured count (a crashed one is replaced on the next job). */
function pool(): PoolWorker[] {
  const size = gatewayConfig().TOKENFLOW_BODY_WORKERS;
  while (workers.length < size) workers.push(startWorker());
  return workers;
}

function leastBusy(): PoolWorker {
  return pool().reduce((best, w) => (w.jobs.size < best.jobs.size ? w : best));
}

function startWorker(): PoolWorker {
  const file = workerFile();
  const url = pathToFileURL(file).href;
  const code = [
    file.endsWith(".ts") ? tsImport(file, url) : `import(${JSON.stringify(url)})`,
    `.then(() => require("node:worker_threads").parentPort.postMessage({ ready: true }))`,
  ].join("");
  // execArgv: [] so a parent's own loader flags (tsx, vitest) are not stacked on top.
  const worker = new Worker(code, { eval: true, execArgv: [], env: process.env, name: "tokenflow-body" });
  worker.unref();
  const entry: PoolWorker = { worker, jobs: new Map(), ready: Promise.resolve() };
  entry.ready = new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", () => reject(new Error("body worker exited before it was ready")));
    worker.on("message", (message: WorkerAnswer) => {
      if ("ready" in message) resolve();
      else settle(entry, message);
    });
  });
  entry.ready.catch(() => undefined); // observed by prepare(); never an unhandled rejection
  worker.on("error", (error) => failJobs(entry, error));
  worker.on("exit", () => {
    workers = workers.filter((w) => w !== entry);
    failJobs(entry, new Error("body worker exited"));
  });
  return entry;
}

type WorkerAnswer =
  | { ready: true }
  | { id: number; prepared: AnyPreparedBody }
  | { id: number; failure: PrepareFailure | null; crash?: string };

function settle(entry: PoolWorker, answer: Exclude<WorkerAnswer, { ready: true }>) {
  const job = entry.jobs.get(answer.id);
  if (!job) return;
  entry.jobs.delete(answer.id);
  if ("prepared" in answer) {
    asBufferViews(answer.prepared);
    job.resolve(answer.prepared);
  } else if (answer.failure) {
    job.reject(fromPrepareFailure(answer.failure));
  } else {
    job.reject(new Error(`body worker failed: ${answer.crash}`)); // a bug: the pipeline answers 500
  }
}

function failJobs(entry: PoolWorker, error: Error) {
  for (const job of entry.jobs.values()) job.reject(error);
  entry.jobs.clear();
}

/**
 * tsx's API loads the TypeScript entry (and its imports) inside the thread. Its ESM entry is named
 * by the package's exports; resolved here from the worker file, wherever this module runs.
 */
function tsImport(file: string, url: string): string {
  const tsxPackage = createRequire(file).resolve("tsx/package.json");
  const tsx = pathToFileURL(path.join(path.dirname(tsxPackage), "dist/esm/api/index.mjs")).href;
  return `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
}

function workerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // The standalone build (scripts/package-standalone.mjs) bundles the worker as plain JavaScript
  // beside the bundled server: no tsx and no sources there.
  const compiled = path.join(here, "body-worker.mjs");
  if (existsSync(compiled)) return compiled;
  const beside = path.join(here, "body-worker.ts");
  // Bundled (Next), this module's URL is a chunk's: fall back to the sources of the running checkout.
  return existsSync(beside) ? beside : path.join(process.cwd(), "lib/gateway/body-worker.ts");
}
