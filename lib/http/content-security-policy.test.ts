import { describe, expect, it } from "vitest";
import { newCspNonce, pageContentSecurityPolicy } from "./content-security-policy";

const directives = (policy: string) =>
  Object.fromEntries(
    policy.split(";").map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values.join(" ")];
    }),
  );

describe("pageContentSecurityPolicy", () => {
  it("allows scripts only by this response's nonce and what they load", () => {
    const policy = directives(pageContentSecurityPolicy("abc123==", { isDev: false }));
    expect(policy["script-src"]).toBe("'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(policy).toMatchObject({
      "object-src": "'none'",
      "base-uri": "'self'",
      "form-action": "'self'",
      "frame-ancestors": "'none'",
      "connect-src": "'self'",
      "style-src": "'self' 'unsafe-inline'",
    });
    expect(JSON.stringify(policy)).not.toContain("unsafe-eval");
  });

  it("adds 'unsafe-eval' for React's development build only", () => {
    expect(directives(pageContentSecurityPolicy("n", { isDev: true }))["script-src"]).toContain("'unsafe-eval'");
  });
});

describe("newCspNonce", () => {
  it("is 128 random bits, different every time", () => {
    const nonces = new Set(Array.from({ length: 100 }, newCspNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64")).toHaveLength(16);
  });
});
