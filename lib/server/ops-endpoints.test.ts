import { describe, expect, it } from "vitest";
import { isAuthorized, isOpsPath } from "./ops-endpoints";

describe("isAuthorized (the /metrics bearer token)", () => {
  const token = "s3cret-metrics-token";

  it("accepts exactly the configured token as a bearer token", () => {
    expect(isAuthorized(`Bearer ${token}`, token)).toBe(true);
    expect(isAuthorized(`bearer ${token}`, token)).toBe(true); // the scheme is case-insensitive
  });

  it("refuses a missing header, another scheme, another token, a prefix or an extension of it", () => {
    expect(isAuthorized(undefined, token)).toBe(false);
    expect(isAuthorized("", token)).toBe(false);
    expect(isAuthorized(`Basic ${token}`, token)).toBe(false);
    expect(isAuthorized(token, token)).toBe(false);
    expect(isAuthorized("Bearer wrong", token)).toBe(false);
    expect(isAuthorized(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
    expect(isAuthorized(`Bearer ${token}x`, token)).toBe(false);
    expect(isAuthorized(`Bearer ${token} extra`, token)).toBe(false);
    expect(isAuthorized("Bearer ", token)).toBe(false);
  });
});

describe("isOpsPath", () => {
  it("takes exactly the three operational paths", () => {
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect(isOpsPath(path)).toBe(true);
    for (const path of ["/health", "/api/health", "/metrics/", "/v1/metrics", "/healthz/x"])
      expect(isOpsPath(path)).toBe(false);
  });
});
