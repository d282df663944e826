import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costNanos, lineAmountUsd, nanosToUsd, nanosToUsdFixed, usdToNanos, type Prices } from "./money";
import { holdNanos } from "./hold-amount";

const tokens = fc.integer({ min: 0, max: 2_000_000 });
const price = fc.bigInt({ min: 0n, max: 100_000_000_000n }); // up to $100 per 1M tokens
const prices = fc.record({ inputPriceNanos: price, outputPriceNanos: price, cachedInputPriceNanos: price });
const usage = fc.record({ inputTokens: tokens, cachedInputTokens: tokens, outputTokens: tokens });

/** The exact rational cost × 1e6 (an integer), computed independently of costNanos. */
function exactMicroUnits(
  u: { inputTokens: number; cachedInputTokens: number; outputTokens: number },
  p: Prices,
): bigint {
  return (
    BigInt(u.inputTokens) * p.inputPriceNanos +
    BigInt(u.cachedInputTokens) * p.cachedInputPriceNanos +
    BigInt(u.outputTokens) * p.outputPriceNanos
  );
}

describe("costNanos (property tests)", () => {
  it("is an integer never under the exact rational cost and at most 1 nano-USD over it", () => {
    fc.assert(
      fc.property(usage, prices, (u, p) => {
        const cost = costNanos(u, p);
        expect(typeof cost).toBe("bigint");
        const exact = exactMicroUnits(u, p); // exact cost = exact / 1e6 nanos
        expect(cost * 1_000_000n >= exact).toBe(true);
        expect(cost * 1_000_000n - exact < 1_000_000n).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("is monotonic in every token count", () => {
    fc.assert(
      fc.property(
        usage,
        prices,
        fc.constantFrom("inputTokens", "cachedInputTokens", "outputTokens"),
        fc.integer({ min: 1, max: 10_000 }),
        (u, p, field, more) => {
          const bigger = { ...u, [field]: u[field as keyof typeof u] + more };
          expect(costNanos(bigger, p) >= costNanos(u, p)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("is monotonic in every price", () => {
    fc.assert(
      fc.property(
        usage,
        prices,
        fc.constantFrom("inputPriceNanos", "outputPriceNanos", "cachedInputPriceNanos"),
        fc.bigInt({ min: 1n, max: 1_000_000n }),
        (u, p, field, more) => {
          const dearer = { ...p, [field]: p[field as keyof typeof p] + more };
          expect(costNanos(u, dearer) >= costNanos(u, p)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("is zero for zero usage", () => {
    fc.assert(
      fc.property(prices, (p) => {
        expect(costNanos({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }, p)).toBe(0n);
      }),
    );
  });

  it("the hold covers the cost of any usage within its bounds", () => {
    fc.assert(
      fc.property(
        tokens,
        tokens,
        fc.integer({ min: 1, max: 8 }),
        prices,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (prompt, cap, n, p, cachedShare, outShare) => {
          const cached = Math.floor(prompt * cachedShare);
          const used = {
            inputTokens: prompt - cached,
            cachedInputTokens: cached,
            outputTokens: Math.floor(cap * n * outShare),
          };
          expect(holdNanos({ promptTokensUpperBound: prompt, outputTokensCap: cap, n }, p) >= costNanos(used, p)).toBe(
            true,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("public price table", () => {
  // $ per 1M input / output tokens, as published.
  const table: Array<[string, string, string]> = [
    ["deepseek-v3", "0.14", "0.28"],
    ["deepseek-r1", "0.55", "2.19"],
    ["kimi-k2", "0.20", "0.60"],
    ["glm-4-plus", "0.15", "0.50"],
    ["qwen-max", "0.16", "0.64"],
    ["gpt-4o", "2.50", "10.00"],
    ["claude-sonnet", "3.00", "15.00"],
  ];
  it.each(table)("%s: 1M input + 1M output tokens cost exactly the listed prices", (_model, input, output) => {
    const p = {
      inputPriceNanos: usdToNanos(input),
      outputPriceNanos: usdToNanos(output),
      cachedInputPriceNanos: usdToNanos(input),
    };
    expect(costNanos({ inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 0 }, p)).toBe(usdToNanos(input));
    expect(costNanos({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 1_000_000 }, p)).toBe(usdToNanos(output));
    // 1,234 in + 567 out, worked by hand in cents: ceil((1234 × in + 567 × out) × 1e9 / 1e6)
    const expected = (1234n * usdToNanos(input) + 567n * usdToNanos(output) + 999_999n) / 1_000_000n;
    expect(costNanos({ inputTokens: 1234, cachedInputTokens: 0, outputTokens: 567 }, p)).toBe(expected);
  });

  it("worked examples: gpt-4o for 1,234 in / 567 out, and rounding up a fraction of a nano-USD", () => {
    const gpt4o = {
      inputPriceNanos: usdToNanos("2.50"),
      outputPriceNanos: usdToNanos("10.00"),
      cachedInputPriceNanos: usdToNanos("1.25"),
    };
    // 1234 × 2,500 + 567 × 10,000 nano-USD per token = 3,085,000 + 5,670,000 = 8,755,000 ($0.008755)
    expect(costNanos({ inputTokens: 1234, cachedInputTokens: 0, outputTokens: 567 }, gpt4o)).toBe(8_755_000n);
    // 1,001 cached tokens at $1.25/1M = 1,251,250 nano-USD
    expect(costNanos({ inputTokens: 0, cachedInputTokens: 1001, outputTokens: 0 }, gpt4o)).toBe(1_251_250n);
    // 3 tokens at $1.2345/1M = 3,703.5 nano-USD → 3,704
    const odd = { inputPriceNanos: usdToNanos("1.2345"), outputPriceNanos: 0n, cachedInputPriceNanos: 0n };
    expect(costNanos({ inputTokens: 3, cachedInputTokens: 0, outputTokens: 0 }, odd)).toBe(3_704n);
    // $0.001 per 1M tokens: one token costs 0.001 nano-USD and is billed 1
    const tiny = { inputPriceNanos: 1_000_000n, outputPriceNanos: 0n, cachedInputPriceNanos: 0n };
    expect(costNanos({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, tiny)).toBe(1n);
  });
});

describe("USD strings", () => {
  it("parses and formats without floats", () => {
    expect(usdToNanos("0.14")).toBe(140_000_000n);
    expect(usdToNanos("10")).toBe(10_000_000_000n);
    expect(usdToNanos("-1.5")).toBe(-1_500_000_000n);
    expect(usdToNanos("0.000000001")).toBe(1n);
    expect(usdToNanos(2.19)).toBe(2_190_000_000n);
    expect(nanosToUsd(140_000_000n)).toBe("0.14");
    expect(nanosToUsd(10_000_000_000n)).toBe("10.00");
    expect(nanosToUsd(332n)).toBe("0.000000332");
    expect(nanosToUsd(-1_500_000_000n)).toBe("-1.50");
  });

  it("refuses malformed amounts", () => {
    for (const bad of ["", "abc", "1.0000000001", "1e3", "--1", "1,00", " 1. "])
      expect(() => usdToNanos(bad)).toThrow(RangeError);
    expect(() => usdToNanos(Number.NaN)).toThrow(RangeError);
  });

  it("round-trips any nano amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (n) => {
        expect(usdToNanos(nanosToUsd(n))).toBe(n);
      }),
    );
  });
});

describe("exact fixed-point USD for exports and receipts", () => {
  it("nanosToUsdFixed always has exactly 9 decimals", () => {
    expect(nanosToUsdFixed(0n)).toBe("0.000000000");
    expect(nanosToUsdFixed(1n)).toBe("0.000000001");
    expect(nanosToUsdFixed(33_210n)).toBe("0.000033210");
    expect(nanosToUsdFixed(1_500_000_000n)).toBe("1.500000000");
    expect(nanosToUsdFixed(-2_000_000_001n)).toBe("-2.000000001");
    expect(nanosToUsdFixed(123_456_789_012_345_678n)).toBe("123456789.012345678");
  });

  it("nanosToUsdFixed round-trips through usdToNanos for any amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (nanos) => {
        const text = nanosToUsdFixed(nanos);
        expect(text).toMatch(/^-?\d+\.\d{9}$/);
        if (nanos > -(10n ** 21n) && nanos < 10n ** 21n && text.split(".")[0].replace("-", "").length <= 12)
          expect(usdToNanos(text)).toBe(nanos);
      }),
    );
  });

  it("lineAmountUsd is tokens × price per 1M without rounding", () => {
    expect(lineAmountUsd(123, 270_000_000n)).toBe("0.00003321"); // 123 × $0.27 / 1M
    expect(lineAmountUsd(1, 1n)).toBe("0.000000000000001");
    expect(lineAmountUsd(0, 5n)).toBe("0.00");
    expect(lineAmountUsd(2_000_000, 15_000_000_000n)).toBe("30.00");
    expect(lineAmountUsd(7, 333n)).toBe("0.000000000002331");
  });
});

describe("costNanos with prompt-cache writes", () => {
  const withWrites = fc.record({
    inputPriceNanos: price,
    outputPriceNanos: price,
    cachedInputPriceNanos: price,
    cacheWriteInputPriceNanos: price,
  });
  const usageWithWrites = fc.record({
    inputTokens: tokens,
    cachedInputTokens: tokens,
    cacheWriteInputTokens: tokens,
    outputTokens: tokens,
  });

  it("bills cache-written tokens at their own price, rounded up once", () => {
    fc.assert(
      fc.property(usageWithWrites, withWrites, (u, p) => {
        const exact = exactMicroUnits(u, p) + BigInt(u.cacheWriteInputTokens) * p.cacheWriteInputPriceNanos;
        const cost = costNanos(u, p);
        expect(cost * 1_000_000n >= exact).toBe(true);
        expect(cost * 1_000_000n - exact < 1_000_000n).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("bills cache writes at the input price when the model has no cache-write price", () => {
    const p = { inputPriceNanos: 3_000_000_000n, cachedInputPriceNanos: 300_000_000n, outputPriceNanos: 0n };
    const written = { inputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 1_000, outputTokens: 0 };
    expect(costNanos(written, p)).toBe(3_000_000n); // 1,000 × $3 per 1M = $0.003
    expect(costNanos(written, { ...p, cacheWriteInputPriceNanos: 3_750_000_000n })).toBe(3_750_000n);
  });

  it("holds enough for a prompt that is written to the cache in full", () => {
    fc.assert(
      fc.property(withWrites, tokens, tokens, (p, prompt, output) => {
        const hold = holdNanos({ promptTokensUpperBound: prompt, outputTokensCap: output, n: 1 }, p);
        const allWritten = {
          inputTokens: 0,
          cachedInputTokens: 0,
          cacheWriteInputTokens: prompt,
          outputTokens: output,
        };
        expect(hold >= costNanos(allWritten, p)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
