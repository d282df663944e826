import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./safe-redirect";

const ORIGIN = "https://tokenflow.example";

describe("safeRedirectPath", () => {
  it.each([
    ["/"],
    ["/dashboard"],
    ["/dashboard/keys"],
    ["/usage?from=2026-01-01&to=2026-01-31"],
    ["/logs?cursor=abc123#row-7"],
    ["/admin/organizations/clx0abc"],
    ["/a/b.c/d..e/.well-known"],
    ["/search?q=hello"],
  ])("keeps the same-origin path %s", (value) => {
    expect(safeRedirectPath(value, "/fallback")).toBe(value);
  });

  it.each([
    // absolute URLs and schemes
    ["https://evil.example/"],
    ["http://evil.example"],
    ["HTTPS://evil.example"],
    ["ftp://evil.example/x"],
    ["javascript:alert(1)"],
    ["JavaScript:alert(document.cookie)"],
    ["data:text/html,<script>alert(1)</script>"],
    ["vbscript:msgbox(1)"],
    ["mailto:a@evil.example"],
    ["evil.example"],
    ["dashboard"],
    [""],
    [" /dashboard"],
    // scheme-relative and its disguises
    ["//evil.example"],
    ["//evil.example/path"],
    ["///evil.example"],
    ["////evil.example"],
    ["/\\evil.example"],
    ["\\\\evil.example"],
    ["\\/evil.example"],
    ["/\\/evil.example"],
    ["/dashboard\\..\\..\\evil"],
    ["/%2fevil.example"],
    ["/%2Fevil.example"],
    ["/%5cevil.example"],
    ["/%5Cevil.example"],
    ["/%252fevil.example"],
    ["/%25252fevil.example"],
    ["/%255cevil.example"],
    ["/x/%2f%2fevil.example"],
    ["/%2e%2e/%2e%2e//evil.example"],
    // whitespace and control characters (browsers strip tabs/newlines: "/\t/evil" → "//evil")
    ["/\t/evil.example"],
    ["/\n/evil.example"],
    ["/\r\n/evil.example"],
    ["/%09/evil.example"],
    ["/%0a/evil.example"],
    ["/%0d%0aSet-Cookie:x=1"],
    ["/%00"],
    ["/ /evil.example"],
    ["/dash board"],
    ["/\u0000"],
    ["/\u007f"],
    ["/\u2028/evil.example"],
    // look-alikes outside ASCII (fullwidth solidus, reverse solidus, dot)
    ["/\uff0fevil.example"],
    ["/%EF%BC%8Fevil.example"],
    ["/\uff3cevil.example"],
    ["/\u3002evil.example"],
    // dot segments that could walk out of a base path or turn into "//" after normalisation
    ["/.."],
    ["/../evil"],
    ["/..//evil.example"],
    ["/./"],
    ["/./evil"],
    ["/a/../../evil"],
    ["/%2e%2e/evil"],
    ["/%2E%2E%2Fevil"],
    ["/%252e%252e/evil"],
    ["/.%2e/evil"],
    ["/dashboard/.."],
    ["/dashboard?next=/../x"],
    // malformed escapes and absurd lengths
    ["/%"],
    ["/%zz"],
    ["/%E0%A4%A"],
    [`/${"a".repeat(3000)}`],
    [`/${"%25".repeat(10)}2f`],
    // credentials and ports
    ["https://tokenflow.example@evil.example/"],
    ["//user:pass@evil.example"],
  ])("refuses the hostile callbackUrl %j", (value) => {
    expect(safeRedirectPath(value, "/fallback")).toBe("/fallback");
  });

  it("refuses what is not a string, and defaults the fallback to /", () => {
    for (const value of [undefined, null, 42, {}, ["/dashboard"], new URL(`${ORIGIN}/x`)]) {
      expect(safeRedirectPath(value)).toBe("/");
    }
    expect(safeRedirectPath("//evil.example")).toBe("/");
  });

  describe("with sameOrigin (next-auth sends absolute URLs)", () => {
    it.each([
      [`${ORIGIN}`, "/"],
      [`${ORIGIN}/`, "/"],
      [`${ORIGIN}/dashboard?tab=keys#new`, "/dashboard?tab=keys#new"],
      ["/dashboard", "/dashboard"],
    ])("reduces %s to %s", (value, expected) => {
      expect(safeRedirectPath(value, "/fallback", ORIGIN)).toBe(expected);
      expect(safeRedirectPath(value, "/fallback", `${ORIGIN}/`)).toBe(expected);
    });

    it.each([
      ["https://tokenflow.example.evil.com/"],
      ["https://tokenflow.example@evil.example/"],
      ["https://tokenflow.example:444/dashboard"],
      ["http://tokenflow.example/dashboard"],
      ["https://evil.example/https://tokenflow.example/"],
      [`${ORIGIN}//evil.example`],
      [`${ORIGIN}/\\evil.example`],
      [`${ORIGIN}/%2f%2fevil.example`],
      [`${ORIGIN}/../evil`],
      [`${ORIGIN}\\@evil.example`],
      [`${ORIGIN}.evil.example/`],
    ])("still refuses %s", (value) => {
      expect(safeRedirectPath(value, "/fallback", ORIGIN)).toBe("/fallback");
    });
  });
});
