// The server's structured log: one JSON line per event on stdout (pino), at LOG_LEVEL (default
// info). Development reads it pretty because the launcher pipes it through pino-pretty (a dev
// dependency, scripts/launch.ts); the process itself always writes JSON, so production never needs
// pino-pretty. Each module takes a child with its component (`logger("billing")`), and passes
// values as fields, never interpolated into the message, so they can be queried.
//
// No secret may reach a line. Fields that can hold one are redacted by name at the top level and in
// `headers` / `req.headers`; errors are logged through `serializeError`, which keeps only a few known
// properties (never an SDK error's request, headers or raw body) and scrubs credentials out of the
// message and stack (URLs with a password, bearer tokens, Stripe keys, our tf- keys).
import pino, { type Logger } from "pino";

const SECRET_FIELDS = [
  "authorization",
  "Authorization",
  "x-api-key",
  "cookie",
  "set-cookie",
  "password",
  "passwordHash",
  "apiKey",
  "apiKeyEncrypted",
  "key",
  "secret",
  "token",
  "accessToken",
  "refreshToken",
  "clientSecret",
  "webhookSecret",
  "connectionString",
  "databaseUrl",
];

// pino compiles these paths once. Only explicit paths: a wildcard (`*.password`) makes every line
// walk every field, about ten times the cost of the line itself, so nested objects are never logged
// whole (errors go through serializeError, which picks its fields).
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => {
  const name = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
  const nested = name.startsWith("[") ? name : `.${name}`;
  return [name, `headers${nested}`, `req.headers${nested}`];
});

// Credentials as they show up inside free text (error messages, stacks, URLs).
const SCRUBBERS: Array<[RegExp, string]> = [
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, "$1***@"], // scheme://user:password@host
  [/\b(bearer|basic)\s+[^\s"',;]+/gi, "$1 ***"],
  [/\b((?:sk|rk|pk)_(?:live|test))_[A-Za-z0-9]+/g, "$1_***"], // Stripe keys
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, "whsec_***"],
  [/\btf-(?!admin-)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}/g, "tf-$1***"], // a tenant key keeps its displayed prefix
  [/\btf-admin-[A-Za-z0-9_-]+/g, "tf-admin-***"],
  [/\bsk-[A-Za-z0-9_-]{12,}/g, "sk-***"], // OpenAI-style upstream keys
  [/((?:password|passwd|pwd|secret|token|api[_-]?key)\s*[=:]\s*["']?)[^\s"'&,;]+/gi, "$1***"],
];

/** The text with every credential-looking substring replaced by ***. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  return out;
}

export interface SerializedError {
  type: string;
  message: string;
  code?: string | number;
  status?: number;
  stack?: string;
  cause?: SerializedError;
}

/**
 * An error as a log field: its class, scrubbed message and stack, code and status, and its cause
 * (two levels). Nothing else of it: SDK errors carry requests, headers and raw bodies.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err, message: scrubSecrets(String(err)) };
  const out: SerializedError = { type: err.name, message: scrubSecrets(err.message) };
  const { code, status, statusCode } = err as { code?: unknown; status?: unknown; statusCode?: unknown };
  if (typeof code === "string" || typeof code === "number")
    out.code = typeof code === "string" ? scrubSecrets(code) : code;
  if (typeof status === "number") out.status = status;
  else if (typeof statusCode === "number") out.status = statusCode;
  if (err.stack) out.stack = scrubSecrets(err.stack);
  if (err.cause !== undefined && depth < 2) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

const OPTIONS: pino.LoggerOptions = {
  level: process.env.LOG_LEVEL || "info",
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  serializers: { err: serializeError, error: serializeError },
  redact: { paths: REDACT_PATHS, censor: "[redacted]" },
};

/** How long a buffered line (see `bufferedLogger`) may wait before it is written. */
const BUFFERED_FLUSH_MS = 100;
/**
 * Buffered lines go out in writes of whole lines, at most PIPE_BUF (4 KiB), once 3 KiB gathered (or
 * on the timer, or at exit). A write to a pipe (stdout under Docker or systemd) of at most PIPE_BUF
 * is atomic, so the other root's lines, written meanwhile by another thread, never land inside one.
 */
const BUFFERED_WRITE_BYTES = { minLength: 3 * 1024, maxWrite: 4096 };

/**
 * The root of the buffered loggers: stdout too, but lines gather in memory and go out a few KiB at a
 * time or every 100 ms, and at exit (pino flushes an asynchronous destination then). Measured at
 * 1,400 requests/s: one write per access line cost 7 % of the gateway's CPU, 4 KiB writes 3–4 %.
 * A kill -9 loses at most the last 100 ms of these lines, so only high-volume lines that something
 * durable also records use it (the access log: the receipts).
 */
function createBufferedRoot(): Logger {
  const destination = pino.destination({ dest: 1, sync: false, ...BUFFERED_WRITE_BYTES });
  setInterval(() => destination.flush(), BUFFERED_FLUSH_MS).unref();
  return pino(OPTIONS, destination);
}

// One root of each per process, even when Next's bundle and the server script each load this module.
const globalForLog = globalThis as unknown as { tokenflowLog?: Logger; tokenflowBufferedLog?: Logger };

/** The process's root logger. */
export const log: Logger = (globalForLog.tokenflowLog ??= pino(OPTIONS));

/** A child logger for one component (e.g. "billing"), created once per module. */
export function logger(component: string): Logger {
  return log.child({ component });
}

/** The root of `bufferedLogger`'s children (created on first use), for tests that capture lines. */
export function bufferedLog(): Logger {
  return (globalForLog.tokenflowBufferedLog ??= createBufferedRoot());
}

/**
 * A child logger whose lines are written in batches, up to 100 ms late (see createBufferedRoot).
 * For one high-volume info line per request; warnings and errors belong on `logger`.
 */
export function bufferedLogger(component: string): Logger {
  return bufferedLog().child({ component });
}

/**
 * Sends what other code (Next.js, libraries) writes with console.* through the logger, so it is
 * structured and scrubbed too. An Error argument becomes the `err` field; the rest the message.
 */
export function routeConsoleToLogger(): void {
  const next = logger("next");
  const bridge =
    (level: "info" | "warn" | "error" | "debug") =>
    (...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      const text = args
        .filter((a) => a !== err)
        .map((a) => (typeof a === "string" ? a : safeInspect(a)))
        .join(" ");
      if (err) next[level]({ err }, scrubSecrets(text) || (err as Error).message);
      else next[level](scrubSecrets(text));
    };
  console.log = bridge("info");
  console.info = bridge("info");
  console.warn = bridge("warn");
  console.error = bridge("error");
  console.debug = bridge("debug");
}

function safeInspect(value: unknown): string {
  try {
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}
