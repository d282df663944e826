import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { authenticateAdmin, getAdminSession, matchesBootstrapKey, readBearerToken } from "./auth";

describe("matchesBootstrapKey", () => {
  it("matches only the exact configured key", () => {
    expect(matchesBootstrapKey("tf-admin-abc", "tf-admin-abc")).toBe(true);
    expect(matchesBootstrapKey("tf-admin-abc", " tf-admin-abc\n")).toBe(true);
    expect(matchesBootstrapKey("tf-admin-ab", "tf-admin-abc")).toBe(false);
    expect(matchesBootstrapKey("tf-admin-abcd", "tf-admin-abc")).toBe(false);
    expect(matchesBootstrapKey("TF-ADMIN-ABC", "tf-admin-abc")).toBe(false);
  });

  it("is off when the env var is unset or blank", () => {
    expect(matchesBootstrapKey("", undefined)).toBe(false);
    expect(matchesBootstrapKey("anything", undefined)).toBe(false);
    expect(matchesBootstrapKey("", "")).toBe(false);
    expect(matchesBootstrapKey("", "   ")).toBe(false);
  });
});

describe("readBearerToken", () => {
  it("reads Bearer tokens case-insensitively and nothing else", () => {
    expect(readBearerToken(new Headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(readBearerToken(new Headers({ authorization: "bearer  abc " }))).toBe("abc");
    expect(readBearerToken(new Headers({ authorization: "Basic abc" }))).toBeNull();
    expect(readBearerToken(new Headers({ authorization: "Bearer a b" }))).toBeNull();
    expect(readBearerToken(new Headers())).toBeNull();
  });
});

describe("authenticateAdmin (no database needed on these paths)", () => {
  afterEach(() => vi.unstubAllEnvs());
  const request = (authorization?: string) =>
    new Request("http://localhost/api/admin/models", { headers: authorization ? { authorization } : {} });

  it("accepts the bootstrap key as an actor without a user", async () => {
    vi.stubEnv("TOKENFLOW_ADMIN_KEY", "bootstrap-secret-123");
    await expect(authenticateAdmin(request("Bearer bootstrap-secret-123"))).resolves.toEqual({
      kind: "bootstrap_key",
      userId: null,
      ip: null, // the test request carries no address
    });
  });

  it("refuses a missing header, a wrong non-key token, and the bootstrap key when it is off", async () => {
    vi.stubEnv("TOKENFLOW_ADMIN_KEY", "bootstrap-secret-123");
    for (const header of [undefined, "Bearer wrong", "Basic Ym9vdHN0cmFw"]) {
      const err = await authenticateAdmin(request(header)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ code: "unauthorized", status: 401 });
    }
    vi.stubEnv("TOKENFLOW_ADMIN_KEY", "");
    await expect(authenticateAdmin(request("Bearer bootstrap-secret-123"))).rejects.toMatchObject({
      code: "unauthorized",
    });
  });

  it("finds no admin session when the request has no session cookie", async () => {
    await expect(getAdminSession(request())).resolves.toBeNull();
  });
});
