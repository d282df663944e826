import { describe, expect, it } from "vitest";
import { createApiKeySchema, normalizeIpOrCidr } from "./api-keys";

describe("normalizeIpOrCidr", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 10.0.0.0/8 ", "10.0.0.0/8"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("accepts %j", (input, expected) => {
    expect(normalizeIpOrCidr(input)).toBe(expected);
  });

  it.each([
    "",
    "example.com",
    "10.0.0.0/33",
    "2001:db8::/129",
    "10.0.0.0/",
    "10.0.0.0/8/1",
    "10.0.0.0/x",
    "300.1.1.1",
    "10.0.0.0/-1",
  ])("refuses %j", (input) => {
    expect(normalizeIpOrCidr(input)).toBeNull();
  });
});

describe("createApiKeySchema", () => {
  it("needs only a name", () => {
    expect(createApiKeySchema.parse({ name: " ci " })).toEqual({ name: "ci" });
  });

  it("parses every limit", () => {
    const parsed = createApiKeySchema.parse({
      name: "prod",
      allowedModels: ["deepseek-v3", "deepseek-v3", "gpt-4o"],
      allowedIps: ["10.0.0.0/8", "203.0.113.7"],
      expiresAt: "2999-06-01T00:00:00Z",
      rpmLimit: 60,
      tpmLimit: 100000,
      maxConcurrency: 4,
      spendLimitUsd: "25.5",
    });
    expect(parsed).toEqual({
      name: "prod",
      allowedModels: ["deepseek-v3", "gpt-4o"],
      allowedIps: ["10.0.0.0/8", "203.0.113.7"],
      expiresAt: new Date("2999-06-01T00:00:00Z"),
      rpmLimit: 60,
      tpmLimit: 100000,
      maxConcurrency: 4,
      spendLimitUsd: 25_500_000_000n,
    });
  });

  it("accepts null as 'no limit'", () => {
    expect(
      createApiKeySchema.parse({ name: "k", rpmLimit: null, spendLimitUsd: null, expiresAt: null }).rpmLimit,
    ).toBeNull();
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "k", rpmLimit: 0 }, "rpmLimit"],
    [{ name: "k", tpmLimit: -5 }, "tpmLimit"],
    [{ name: "k", maxConcurrency: 1.5 }, "maxConcurrency"],
    [{ name: "k", spendLimitUsd: "-1" }, "spendLimitUsd"],
    [{ name: "k", expiresAt: "2001-01-01T00:00:00Z" }, "expiresAt"],
    [{ name: "k", allowedIps: ["not-an-ip"] }, "allowedIps.0"],
    [{ name: "k", scope: "ADMIN" }, ""],
  ])("refuses %j (field %s)", (input, field) => {
    const result = createApiKeySchema.safeParse(input);
    expect(result.success).toBe(false);
    if (field) expect(result.error?.issues[0].path.join(".")).toBe(field);
  });
});
