import { describe, expect, it } from "vitest";
import { futureDate, positiveInt, priceUsd, usdAmount, usdOrNull } from "./fields";

describe("usdAmount", () => {
  it.each([
    ["0.14", 140_000_000n],
    ["12.50", 12_500_000_000n],
    ["0.000000001", 1n],
    [" 3 ", 3_000_000_000n],
    [0.1, 100_000_000n],
    [25, 25_000_000_000n],
  ])("parses %j to nanos", (input, nanos) => {
    expect(usdAmount("positive").parse(input)).toBe(nanos);
  });

  it("keeps negatives for adjustments and refuses zero there", () => {
    expect(usdAmount("non_zero").parse("-2.5")).toBe(-2_500_000_000n);
    expect(usdAmount("non_zero").safeParse("0").success).toBe(false);
    expect(usdAmount("non_zero").safeParse("-0.000").success).toBe(false);
  });

  it.each(["-0.01", "-1"])("refuses negative price %j", (input) => {
    const result = priceUsd.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe("must not be negative");
  });

  it("allows a zero price", () => {
    expect(priceUsd.parse("0")).toBe(0n);
  });

  it.each([
    "0.0000000001",
    "1e3",
    "abc",
    "",
    "1,50",
    "$1",
    "1.",
    ".5",
    "1234567890123",
    1e-10,
    Number.NaN,
    Infinity,
    true,
    null,
    {},
  ])("refuses %j", (input) => {
    expect(usdAmount("non_negative").safeParse(input).success).toBe(false);
  });
});

describe("usdOrNull", () => {
  it("formats nanos or passes null", () => {
    expect(usdOrNull(140_000_000n)).toBe("0.14");
    expect(usdOrNull(2_000_000_000n)).toBe("2.00");
    expect(usdOrNull(null)).toBeNull();
  });
});

describe("positiveInt", () => {
  it.each([0, -1, 1.5, "5", 2 ** 31])("refuses %j", (value) => {
    expect(positiveInt.safeParse(value).success).toBe(false);
  });
  it("accepts 1 and int32 max", () => {
    expect(positiveInt.parse(1)).toBe(1);
    expect(positiveInt.parse(2 ** 31 - 1)).toBe(2 ** 31 - 1);
  });
});

describe("futureDate", () => {
  it("accepts a future ISO date-time with a zone", () => {
    const date = futureDate.parse("2999-01-01T00:00:00Z");
    expect(date).toBeInstanceOf(Date);
    expect(date.toISOString()).toBe("2999-01-01T00:00:00.000Z");
    expect(futureDate.parse("2999-01-01T02:00:00+02:00").toISOString()).toBe("2999-01-01T00:00:00.000Z");
  });
  it.each(["2000-01-01T00:00:00Z", "2999-01-01", "2999-01-01T00:00:00", "tomorrow", 123])("refuses %j", (value) => {
    expect(futureDate.safeParse(value).success).toBe(false);
  });
});
