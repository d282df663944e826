// A linear pre-check of raw JSON bytes, run BEFORE JSON.parse: JSON.parse, JSON.stringify, zod and
// every tree walk after them recurse, so a 10 MiB "[[[[…" must be refused while it is still bytes.
// It also refuses number literals JSON.parse would turn into ±Infinity (1e400, 400 digits): they
// cannot round-trip (JSON.stringify writes null) and no billed or routed field may hold them.
// Everything else about the syntax is left to JSON.parse, which refuses what this scan lets through.

export type JsonScanProblem = { kind: "too_deep"; maxDepth: number } | { kind: "non_finite_number"; literal: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
/** Number literals at most this long without an exponent are finite (a double overflows past 309 digits). */
const SAFE_PLAIN_LITERAL_LENGTH = 300;

/**
 * Scans `bytes` (UTF-8 JSON text) once: the deepest nesting of arrays/objects and any number literal
 * that overflows a double. Strings are skipped with native `indexOf` jumps, so a 19 MiB base64 or
 * CJK string costs a few memchr calls. Returns the first problem, or null.
 */
export function scanJson(bytes: Uint8Array, maxDepth: number): JsonScanProblem | null {
  const length = bytes.length;
  let depth = 0;
  let numberStart = -1;
  let numberHasExponent = false;
  for (let i = 0; i < length; i++) {
    const c = bytes[i];
    if (numberStart >= 0) {
      if ((c >= DIGIT_0 && c <= DIGIT_9) || c === DOT || c === MINUS || c === PLUS) continue;
      if (c === LOWER_E || c === UPPER_E) {
        numberHasExponent = true;
        continue;
      }
      const problem = checkNumber(bytes, numberStart, i, numberHasExponent);
      if (problem) return problem;
      numberStart = -1;
    }
    if (c === QUOTE) {
      const end = endOfString(bytes, i);
      if (end < 0) return null; // unterminated: JSON.parse refuses it
      i = end;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return { kind: "too_deep", maxDepth };
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      numberStart = i;
      numberHasExponent = false;
    }
  }
  return numberStart >= 0 ? checkNumber(bytes, numberStart, length, numberHasExponent) : null;
}

/** Index of the quote closing the string opened at `start`, or -1. */
function endOfString(bytes: Uint8Array, start: number): number {
  // Most strings are short (keys, roles, types): a plain loop beats a native call for them.
  const shortEnd = Math.min(bytes.length, start + 32);
  for (let i = start + 1; i < shortEnd; i++) {
    const c = bytes[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) break; // escapes: let the general path count backslashes
  }
  let quote = start;
  for (;;) {
    quote = bytes.indexOf(QUOTE, quote + 1);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let k = quote - 1; bytes[k] === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return quote;
  }
}

function checkNumber(bytes: Uint8Array, start: number, end: number, hasExponent: boolean): JsonScanProblem | null {
  if (!hasExponent && end - start <= SAFE_PLAIN_LITERAL_LENGTH) return null;
  const literal = latin1(bytes, start, end);
  const value = Number(literal);
  // NaN means the literal is not JSON at all: JSON.parse will say so.
  return value === Infinity || value === -Infinity
    ? { kind: "non_finite_number", literal: literal.length > 40 ? `${literal.slice(0, 37)}...` : literal }
    : null;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}
