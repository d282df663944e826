import { randomBytes } from "node:crypto";

// Content-Security-Policy of the pages (set per request by proxy.ts, with a fresh nonce) and of the
// /api routes (static, in next.config.mjs). Scripts run only with this response's nonce; what those
// scripts load is trusted through 'strict-dynamic' (Next's chunks), so an injected <script> runs nowhere.
// Styles may be inline: React and Tailwind emit style attributes, which a nonce cannot cover, and CSS
// cannot run code. connect-src 'self' lets the dashboard and playground call /api and /v1 on this host.

/** 128 random bits, base64: unguessable, and unique per response. */
export function newCspNonce(): string {
  return randomBytes(16).toString("base64");
}

export function pageContentSecurityPolicy(nonce: string, options: { isDev: boolean }): string {
  return [
    "default-src 'self'",
    // React's dev build evaluates code for its error overlays and stack reconstruction; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
