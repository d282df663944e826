import { describe, expect, it } from "vitest";
import { centsToNanos, nanosToCents, parseUsdCents, usdAmountSchema } from "./amounts";

describe("Stripe amounts", () => {
  it("converts cents and nanos exactly both ways", () => {
    expect(centsToNanos(1000)).toBe(10_000_000_000n);
    expect(nanosToCents(10_000_000_000n)).toBe(1000);
    expect(nanosToCents(centsToNanos(99_999_999))).toBe(99_999_999);
    expect(() => nanosToCents(1n)).toThrow(RangeError);
    expect(() => centsToNanos(1.5)).toThrow(RangeError);
    expect(() => centsToNanos(-1)).toThrow(RangeError);
  });

  it("reads USD amounts of whole cents only", () => {
    expect(parseUsdCents("10")).toBe(10_000_000_000n);
    expect(parseUsdCents("10.5")).toBe(10_500_000_000n);
    expect(parseUsdCents(" $10.05 ")).toBe(10_050_000_000n);
    for (const bad of ["", "-5", "10.001", "1e3", "ten", "10,00", "12345678"]) expect(parseUsdCents(bad)).toBeNull();
  });

  it("validates a top-up amount against the limits", () => {
    const schema = usdAmountSchema({ minNanos: 5_000_000_000n, maxNanos: 1_000_000_000_000n });
    expect(schema.parse("5.00")).toBe(5_000_000_000n);
    expect(schema.parse("1000")).toBe(1_000_000_000_000n);
    expect(schema.safeParse("4.99").error?.issues[0].message).toBe("must be between $5.00 and $1,000.00");
    expect(schema.safeParse("1000.01").success).toBe(false);
    expect(schema.safeParse("5.001").error?.issues[0].message).toMatch(/at most 2 decimals/);
  });
});
