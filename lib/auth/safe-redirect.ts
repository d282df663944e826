// Where to send a browser after sign-in (or sign-out): only to a path on this site. A `callbackUrl`
// is attacker-controlled (anyone can mail a /login?callbackUrl=… link), and browsers, URL parsers
// and proxies disagree about `//host`, `/\host`, `\`, tabs, and percent-encoded variants of them, so
// anything that is not plainly a same-origin path is replaced by the fallback rather than repaired.
// Used by the login form and by next-auth's `redirect` callback (lib/auth/options.ts).

const MAX_LENGTH = 2048;
const MAX_DECODE_DEPTH = 5;
const PROBE_ORIGIN = "http://redirect-check.invalid";

/**
 * `value` when it is a safe same-origin path (starting with a single "/"), else `fallback`.
 * `sameOrigin` (e.g. "https://tokenflow.example"): an absolute URL exactly on that origin is first
 * reduced to its path (next-auth's client sends `window.location.href` as the callbackUrl).
 */
export function safeRedirectPath(value: unknown, fallback = "/", sameOrigin?: string): string {
  if (typeof value !== "string") return fallback;
  const path = sameOrigin ? stripOrigin(value, sameOrigin) : value;
  return isSafePath(path) ? path : fallback;
}

function stripOrigin(value: string, origin: string): string {
  const base = origin.replace(/\/+$/, "");
  if (value === base) return "/";
  return value.startsWith(`${base}/`) ? value.slice(base.length) : value;
}

function isSafePath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_LENGTH) return false;
  if (!path.startsWith("/") || path.startsWith("//")) return false;
  // Check the value and every percent-decoding of it (double-encoding included): a consumer
  // that decodes once more must not find a slash, backslash, control character or dot segment.
  let layer = path;
  for (let depth = 0; ; depth++) {
    if (!isSafeLayer(layer)) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(layer);
    } catch {
      return false; // malformed escapes: nobody agrees what they mean
    }
    if (decoded === layer) break;
    if (depth === MAX_DECODE_DEPTH) return false;
    layer = decoded;
  }
  // Belt and braces: resolved against an origin, it must stay on that origin and still be a path.
  const resolved = new URL(path, PROBE_ORIGIN);
  return resolved.origin === PROBE_ORIGIN && !resolved.pathname.startsWith("//");
}

function isSafeLayer(layer: string): boolean {
  if (/[^\x21-\x7e]/.test(layer)) return false; // whitespace, control characters, non-ASCII look-alikes
  if (layer.includes("\\")) return false; // browsers read "\" as "/" in http(s) URLs
  if (/%(2f|5c)/i.test(layer)) return false; // encoded "/" or "\"
  if (layer.startsWith("//") || /^\/[\\/]/.test(layer)) return false; // scheme-relative
  if (/(^|\/)\.{1,2}(\/|\?|#|$)/.test(layer)) return false; // dot segments ("/..", "/./")
  return true;
}
