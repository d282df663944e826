import { afterEach, describe, expect, it, vi } from "vitest";
import { clientAddress, clientIpForThrottling, isIpAllowed, trustedClientIp } from "./client-ip";

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

describe("clientIpForThrottling", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("uses the trusted proxy header when one is configured, ignoring the peer header", () => {
    const headers = new Headers({ "x-real-ip": "203.0.113.9", "x-tokenflow-peer-address": "10.0.0.2" });
    expect(clientIpForThrottling(headers, "x-real-ip")).toBe("203.0.113.9");
  });

  it("falls back to the socket address our server sets when the trusted header is unset or unusable", () => {
    const headers = new Headers({ "x-real-ip": "garbage", "x-tokenflow-peer-address": "::ffff:198.51.100.4" });
    expect(clientIpForThrottling(headers, "x-real-ip")).toBe("198.51.100.4");
    expect(clientIpForThrottling(headers, undefined)).toBe("198.51.100.4");
    expect(clientIpForThrottling(new Headers({ "x-tokenflow-peer-address": "2001:db8::7" }), "")).toBe("2001:db8::7");
  });

  it("never trusts client-sent forwarding headers that were not configured", () => {
    const headers = new Headers({ "x-forwarded-for": "1.1.1.1", "x-real-ip": "2.2.2.2" });
    expect(clientIpForThrottling(headers, undefined)).toBe("unknown");
    expect(clientIpForThrottling(headers, "x-client-ip")).toBe("unknown");
  });

  it('answers "unknown" when there is no usable address at all', () => {
    expect(clientIpForThrottling(new Headers(), undefined)).toBe("unknown");
    expect(clientIpForThrottling(new Headers({ "x-tokenflow-peer-address": "nope" }), undefined)).toBe("unknown");
  });

  it("accepts next-auth's plain header object (lower-case names, possibly arrays)", () => {
    expect(clientIpForThrottling({ "x-real-ip": "192.0.2.1", host: "a" }, "x-real-ip")).toBe("192.0.2.1");
    expect(clientIpForThrottling({ "x-tokenflow-peer-address": "192.0.2.2" }, undefined)).toBe("192.0.2.2");
    expect(clientIpForThrottling({ "x-forwarded-for": ["6.6.6.6", "192.0.2.3"] }, "x-forwarded-for")).toBe("192.0.2.3");
    expect(clientIpForThrottling({ "x-real-ip": undefined }, "x-real-ip")).toBe("unknown");
  });

  it("reads TOKENFLOW_CLIENT_IP_HEADER by default", () => {
    vi.stubEnv("TOKENFLOW_CLIENT_IP_HEADER", "x-test-client-ip");
    const headers = new Headers({ "x-test-client-ip": "192.0.2.77", "x-tokenflow-peer-address": "127.0.0.1" });
    expect(clientIpForThrottling(headers)).toBe("192.0.2.77");
  });
});

describe("clientAddress", () => {
  it("reads the gateway's own request headers by the same rule", () => {
    const reader = (values: Record<string, string>) => ({ get: (name: string) => values[name.toLowerCase()] ?? null });
    expect(
      clientAddress(reader({ "x-real-ip": "203.0.113.9", "x-tokenflow-peer-address": "10.0.0.2" }), "x-real-ip"),
    ).toBe("203.0.113.9");
    expect(clientAddress(reader({ "x-tokenflow-peer-address": "::ffff:127.0.0.1" }), undefined)).toBe("127.0.0.1");
    expect(clientAddress(reader({}), undefined)).toBe("unknown");
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
