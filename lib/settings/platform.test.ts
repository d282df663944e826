import { describe, expect, it } from "vitest";
import { captureLog } from "@/test/log-capture";
import { SIGNUP_CREDIT_NANOS } from "@/lib/db/seed";
import { DEFAULT_PLATFORM_SETTINGS, parsePlatformSettings } from "./platform";

describe("parsePlatformSettings", () => {
  it("defaults: sign-up open, no email verification, the same starting credit the seed gives the admin", () => {
    expect(parsePlatformSettings([])).toEqual({
      signupOpen: true,
      signupEmailVerification: false,
      signupCreditNanos: 5_000_000_000n,
      topUpMinNanos: 5_000_000_000n,
      topUpMaxNanos: 1_000_000_000_000n,
      defaultLowBalanceThresholdNanos: null,
    });
    expect(DEFAULT_PLATFORM_SETTINGS.signupCreditNanos).toBe(SIGNUP_CREDIT_NANOS);
  });

  it("reads stored values (credit as a USD string or number)", () => {
    expect(
      parsePlatformSettings([
        { key: "signup.open", value: false },
        { key: "signup.emailVerification", value: true },
        { key: "signup.creditUsd", value: "0.25" },
      ]),
    ).toMatchObject({ signupOpen: false, signupEmailVerification: true, signupCreditNanos: 250_000_000n });
    expect(parsePlatformSettings([{ key: "signup.creditUsd", value: 0 }]).signupCreditNanos).toBe(0n);
  });

  it("falls back to the default for malformed or out-of-range values", () => {
    const logged = captureLog();
    const parsed = parsePlatformSettings([
      { key: "signup.open", value: "no" },
      { key: "signup.emailVerification", value: 1 },
      { key: "signup.creditUsd", value: "-1" },
    ]);
    expect(parsed).toEqual(DEFAULT_PLATFORM_SETTINGS);
    expect(parsePlatformSettings([{ key: "signup.creditUsd", value: "5000000" }]).signupCreditNanos).toBe(
      DEFAULT_PLATFORM_SETTINGS.signupCreditNanos,
    );
    expect(parsePlatformSettings([{ key: "signup.creditUsd", value: { usd: 5 } }]).signupCreditNanos).toBe(
      DEFAULT_PLATFORM_SETTINGS.signupCreditNanos,
    );
    expect(logged.lines().filter((line) => line.level === "warn")).toHaveLength(5);
    logged.restore();
  });

  it("reads top-up limits in whole cents, and keeps the defaults when they are unusable", () => {
    const logged = captureLog();
    const parsed = parsePlatformSettings([
      { key: "billing.topUpMinUsd", value: "1.50" },
      { key: "billing.topUpMaxUsd", value: 250 },
    ]);
    expect([parsed.topUpMinNanos, parsed.topUpMaxNanos]).toEqual([1_500_000_000n, 250_000_000_000n]);
    expect(parsePlatformSettings([{ key: "billing.topUpMinUsd", value: "0.001" }]).topUpMinNanos).toBe(5_000_000_000n);
    const inverted = parsePlatformSettings([
      { key: "billing.topUpMinUsd", value: "100" },
      { key: "billing.topUpMaxUsd", value: "10" },
    ]);
    expect([inverted.topUpMinNanos, inverted.topUpMaxNanos]).toEqual([5_000_000_000n, 1_000_000_000_000n]);
    expect(logged.lines().filter((line) => line.level === "warn")).toHaveLength(2);
    logged.restore();
  });

  it("reads the default low-balance threshold for new organizations (none unless set)", () => {
    const logged = captureLog();
    const read = (value: unknown) =>
      parsePlatformSettings([{ key: "billing.lowBalanceThresholdUsd", value }]).defaultLowBalanceThresholdNanos;
    expect(read("2.50")).toBe(2_500_000_000n);
    expect(read(null)).toBeNull();
    expect(read("0")).toBeNull();
    expect(read("abc")).toBeNull();
    expect(logged.lines().filter((line) => line.level === "warn")).toHaveLength(2);
    logged.restore();
  });
});
