// Security headers of the production server (DESIGN §8): every page and /api answer carries them;
// pages get a Content-Security-Policy whose per-response nonce is on every script Next renders.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const COMMON = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
  "strict-transport-security": "max-age=63072000; includeSubDomains",
};

function directives(policy: string | null): Record<string, string> {
  expect(policy).toBeTruthy();
  return Object.fromEntries(
    policy!.split(";").map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name, values.join(" ")];
    }),
  );
}

describe("security headers", () => {
  it.each(["/", "/pricing", "/login", "/api/health", "/no-such-page"])(
    "%s carries the common headers",
    async (path) => {
      const res = await fetch(`${stack.app.url}${path}`);
      expect(res.status).toBe(path === "/no-such-page" ? 404 : 200);
      for (const [name, value] of Object.entries(COMMON)) expect(res.headers.get(name), name).toBe(value);
    },
  );

  it.each(["/", "/pricing", "/login", "/no-such-page"])(
    "%s has a nonce CSP, and that nonce on every script it renders",
    async (path) => {
      const res = await fetch(`${stack.app.url}${path}`);
      const csp = directives(res.headers.get("content-security-policy"));
      expect(csp).toMatchObject({
        "default-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
      });
      const nonce = /^'self' 'nonce-([A-Za-z0-9+/]{22}==)' 'strict-dynamic'$/.exec(csp["script-src"])?.[1];
      expect(nonce, csp["script-src"]).toBeDefined();

      const html = await res.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length).toBeGreaterThan(3); // Next's runtime, chunks and inline RSC payload
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    },
  );

  it("never sends the same nonce twice", async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack.app.url}/login`);
      await res.arrayBuffer();
      nonces.add(directives(res.headers.get("content-security-policy"))["script-src"]);
    }
    expect(nonces.size).toBe(5);
  });

  it("/api answers carry a policy that allows nothing but next-auth's inline styles", async () => {
    for (const path of ["/api/health", "/api/admin/organizations", "/api/auth/signout"]) {
      const res = await fetch(`${stack.app.url}${path}`);
      await res.arrayBuffer();
      expect(directives(res.headers.get("content-security-policy")), path).toEqual({
        "default-src": "'none'",
        "style-src": "'unsafe-inline'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
      });
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
    }
  });
});
