import { z } from "zod";
import { MAX_BALANCE_NANOS } from "@/lib/billing/credits";
import { NANOS_PER_USD, nanosToUsd, usdToNanos } from "@/lib/billing/money";

// zod pieces shared by the management API's request schemas. Money arrives as a USD decimal string
// (or a JSON number) and leaves as nano-USD bigint; it never passes through a float computation.
// Every field is bounded well inside its column (BIGINT, int4, text) so a hostile value is a 400
// here, never a numeric overflow in the database.

// ---------- maxima (documented in README "Management API input limits") ----------

/**
 * The largest price: $1,000,000 per 1M tokens (1e15 nano-USD). A request's cost is
 * Σ tokens × price / 1e6 over three token kinds of at most int32 each (the RequestLog columns), so
 * it stays below 3 × 2^31 × 1e15 / 1e6 ≈ 6.4e18 nano-USD < BIGINT's 9.22e18, even for absurd usage.
 */
export const MAX_PRICE_NANOS = 1_000_000n * NANOS_PER_USD;
/**
 * The largest single credit or debit, key spend cap and redemption batch total: $1,000,000,000,
 * the same as the largest balance (lib/billing/credits.ts, enforced by tf_credit).
 */
export const MAX_CREDIT_NANOS = MAX_BALANCE_NANOS;
/**
 * Token counts of a model (context window, output caps): 10M. The hold multiplies the output cap by
 * up to 128 choices at up to MAX_PRICE_NANOS: 128 × 1e7 × 1e15 / 1e6 ≈ 1.3e18 < BIGINT.
 */
export const MAX_MODEL_TOKENS = 10_000_000;
export const INT32_MAX = 2_147_483_647;
/** Rate limits (int4 columns): requests/min, tokens/min, concurrent streams. */
export const MAX_RPM_LIMIT = 10_000_000;
export const MAX_TPM_LIMIT = 1_000_000_000;
export const MAX_CONCURRENCY_LIMIT = 100_000;

type UsdSign = "positive" | "non_negative" | "non_zero";

const SIGN_MESSAGES: Record<UsdSign, string> = {
  positive: "must be greater than zero",
  non_negative: "must not be negative",
  non_zero: "must not be zero",
};

/**
 * A USD amount ("12.50", "-3", 0.14) as nano-USD; at most 9 decimals, and at most `maxNanos` in
 * absolute value (so a negative adjustment is bounded like a positive one).
 */
export function usdAmount(sign: UsdSign, maxNanos: bigint) {
  return z.union([z.string(), z.number()], { error: 'must be a USD amount, e.g. "12.50"' }).transform((value, ctx) => {
    let nanos: bigint;
    try {
      nanos = usdToNanos(value);
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a USD amount with at most 9 decimals, e.g. "12.50"' });
      return z.NEVER;
    }
    const ok = sign === "positive" ? nanos > 0n : sign === "non_negative" ? nanos >= 0n : nanos !== 0n;
    if (!ok) {
      ctx.addIssue({ code: "custom", message: SIGN_MESSAGES[sign] });
      return z.NEVER;
    }
    if (nanos > maxNanos || -nanos > maxNanos) {
      ctx.addIssue({ code: "custom", message: `must be at most ${nanosToUsd(maxNanos)} USD` });
      return z.NEVER;
    }
    return nanos;
  });
}

/** A price in USD per 1M tokens as nano-USD per 1M tokens. */
export const priceUsd = usdAmount("non_negative", MAX_PRICE_NANOS);

export function usdOrNull(nanos: bigint | null): string | null {
  return nanos === null ? null : nanosToUsd(nanos);
}

// ---------- text ----------

// C0 and C1 controls (tab and newline included), DEL, the Unicode line/paragraph separators and the
// bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069: they make a name display as another).
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// A lone surrogate cannot be stored as UTF-8 (Postgres would get U+FFFD instead).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Trimmed free text of at most `max` characters (may be empty), with no control characters. */
export function freeText(max: number) {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !FORBIDDEN_CHARS.test(value), "must not contain control or bidirectional-override characters")
    .refine((value) => !LONE_SURROGATE.test(value), "must be valid Unicode text");
}

/** Trimmed, non-empty text of bounded length without control characters (names). */
export function text(max: number) {
  return freeText(max).refine((value) => value.length > 0, "must not be empty");
}

// ---------- identifiers ----------

/** Our public model ids (also in URL paths, hence no "/"): "deepseek-v3", "qwen2.5:72b". */
export const modelRef = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/,
    "must be 1-100 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
  );

/**
 * A model name as an upstream knows it; sent upstream and shown in the UI. "/" for vendor-prefixed
 * names ("Qwen/Qwen2.5-72B-Instruct"), "@" for Cloudflare's ("@cf/meta/llama-3.1-8b-instruct").
 */
export const upstreamModelName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9@][A-Za-z0-9._:/@-]{0,199}$/,
    "must be 1-200 characters: letters, digits, '.', '_', ':', '/', '@' or '-'",
  );

/** Ids in paths and cursors (cuids, UUIDs, model ids): anything else cannot name a row. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
export const idRef = z.string().regex(ID_PATTERN, "is not a valid id");

/** An http(s) URL without credentials, at most `max` characters (the SSRF guard checks the host later). */
export function httpUrl(max: number) {
  return z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .superRefine((value, ctx) => {
      const problem = httpUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

function httpUrlProblem(value: string): string | null {
  if (FORBIDDEN_CHARS.test(value) || /\s/.test(value)) return "must not contain spaces or control characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL, e.g. "https://api.example.com/v1"';
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  if (url.username || url.password) return "must not contain credentials; send the API key as apiKey";
  if (!url.hostname) return "must name a host";
  return null;
}

// ---------- numbers ----------

/** An integer in [min, max] (both inside int32). */
export function intInRange(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
}

/** An ISO 8601 date-time with a zone ("2030-01-01T00:00:00Z") that lies in the future. */
export const futureDate = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. "2030-01-01T00:00:00Z"' })
  .transform((value, ctx) => {
    const date = new Date(value);
    if (date.getTime() <= Date.now()) {
      ctx.addIssue({ code: "custom", message: "must be in the future" });
      return z.NEVER;
    }
    return date;
  });

// ---------- query strings ----------

/** A decimal integer query parameter ("?limit=20"); no signs, exponents, hex or blanks. */
export function queryInt(min: number, max: number, fallback: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.int().min(min, message).max(max, message))
    .default(fallback);
}

/** Pagination: `?limit=` (1..100, default 50) and an opaque `?cursor=` from the previous page. */
export const pageQuery = {
  limit: queryInt(1, 100, 50),
  cursor: idRef.optional(),
};
