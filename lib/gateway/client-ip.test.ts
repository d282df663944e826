import { describe, expect, it } from "vitest";
import { isIpAllowed, trustedClientIp } from "./client-ip";

describe("trustedClientIp", () => {
  it("trusts only the configured header", () => {
    const headers = new Headers({ "x-forwarded-for": "6.6.6.6", "x-real-ip": "1.2.3.4" });
    expect(trustedClientIp(headers, undefined)).toBeNull();
    expect(trustedClientIp(headers, "x-real-ip")).toBe("1.2.3.4");
  });

  it("takes the entry the proxy appended last and unwraps IPv4-mapped addresses", () => {
    expect(trustedClientIp(new Headers({ "x-forwarded-for": "6.6.6.6, 10.0.0.7" }), "x-forwarded-for")).toBe(
      "10.0.0.7",
    );
    expect(trustedClientIp(new Headers({ "x-real-ip": "::ffff:1.2.3.4" }), "x-real-ip")).toBe("1.2.3.4");
    expect(trustedClientIp(new Headers({ "x-real-ip": "[2001:db8::1]" }), "x-real-ip")).toBe("2001:db8::1");
  });

  it("returns null for garbage", () => {
    expect(trustedClientIp(new Headers({ "x-real-ip": "not-an-ip" }), "x-real-ip")).toBeNull();
    expect(trustedClientIp(new Headers(), "x-real-ip")).toBeNull();
  });
});

describe("isIpAllowed", () => {
  it("matches addresses and CIDRs of both families", () => {
    const list = ["203.0.113.7", "10.1.0.0/16", "2001:db8::/32"];
    expect(isIpAllowed("203.0.113.7", list)).toBe(true);
    expect(isIpAllowed("203.0.113.8", list)).toBe(false);
    expect(isIpAllowed("10.1.255.3", list)).toBe(true);
    expect(isIpAllowed("10.2.0.1", list)).toBe(false);
    expect(isIpAllowed("2001:db8:1::5", list)).toBe(true);
    expect(isIpAllowed("2001:db9::5", list)).toBe(false);
    expect(isIpAllowed("1.2.3.4", [])).toBe(false);
  });
});
