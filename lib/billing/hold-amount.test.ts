import { describe, expect, it } from "vitest";
import { holdNanos } from "./hold-amount";
import type { Prices } from "./money";

// Prices are nano-USD per 1M tokens: $0.27 / 1M = 270_000_000 nanos.
const deepseekV3: Prices = {
  inputPriceNanos: 270_000_000n, // $0.27
  cachedInputPriceNanos: 70_000_000n, // $0.07
  outputPriceNanos: 1_100_000_000n, // $1.10
};

describe("holdNanos", () => {
  it("prices every prompt token at the input price and the output cap at the output price", () => {
    // 1000 × $0.27/1M = $0.00027; 500 × $1.10/1M = $0.00055; total $0.00082 = 820_000 nanos
    expect(holdNanos({ promptTokensUpperBound: 1000, outputTokensCap: 500, n: 1 }, deepseekV3)).toBe(820_000n);
  });

  it("multiplies only the output part by n", () => {
    // input $0.00027 once + output $0.00055 × 3 = $0.00192
    expect(holdNanos({ promptTokensUpperBound: 1000, outputTokensCap: 500, n: 3 }, deepseekV3)).toBe(1_920_000n);
  });

  it("treats n below 1 as one choice", () => {
    const one = holdNanos({ promptTokensUpperBound: 1000, outputTokensCap: 500, n: 1 }, deepseekV3);
    expect(holdNanos({ promptTokensUpperBound: 1000, outputTokensCap: 500, n: 0 }, deepseekV3)).toBe(one);
  });

  it("uses the cached-input price for the prompt when it is the dearer one", () => {
    // e.g. a provider that charges cache writes above the input price
    const prices: Prices = { inputPriceNanos: 100_000_000n, cachedInputPriceNanos: 300_000_000n, outputPriceNanos: 0n };
    // 10 × $0.30/1M = $0.000003 = 3000 nanos (the input price would give only 1000)
    expect(holdNanos({ promptTokensUpperBound: 10, outputTokensCap: 0, n: 1 }, prices)).toBe(3000n);
  });

  it("uses the input price when the cached price is cheaper or equal", () => {
    const equal: Prices = { ...deepseekV3, cachedInputPriceNanos: deepseekV3.inputPriceNanos };
    expect(holdNanos({ promptTokensUpperBound: 1000, outputTokensCap: 0, n: 1 }, equal)).toBe(270_000n);
    expect(holdNanos({ promptTokensUpperBound: 1000, outputTokensCap: 0, n: 1 }, deepseekV3)).toBe(270_000n);
  });

  it("rounds a fraction of a nano up, once, on the total", () => {
    const tiny: Prices = { inputPriceNanos: 1n, cachedInputPriceNanos: 1n, outputPriceNanos: 1n };
    expect(holdNanos({ promptTokensUpperBound: 1, outputTokensCap: 0, n: 1 }, tiny)).toBe(1n); // 0.000001 → 1
    expect(holdNanos({ promptTokensUpperBound: 1_000_000, outputTokensCap: 0, n: 1 }, tiny)).toBe(1n); // exactly 1
    expect(holdNanos({ promptTokensUpperBound: 1_000_001, outputTokensCap: 0, n: 1 }, tiny)).toBe(2n);
    // 400_000 + 400_000 micro-units = 0.8 nano → 1, not ceil(0.4) + ceil(0.4) = 2
    expect(holdNanos({ promptTokensUpperBound: 400_000, outputTokensCap: 400_000, n: 1 }, tiny)).toBe(1n);
  });

  it("is zero when there is nothing to pay for", () => {
    expect(holdNanos({ promptTokensUpperBound: 0, outputTokensCap: 0, n: 1 }, deepseekV3)).toBe(0n);
    const free: Prices = { inputPriceNanos: 0n, cachedInputPriceNanos: 0n, outputPriceNanos: 0n };
    expect(holdNanos({ promptTokensUpperBound: 5000, outputTokensCap: 5000, n: 4 }, free)).toBe(0n);
  });

  it("stays exact for large requests (bigint arithmetic, no float rounding)", () => {
    const dear: Prices = {
      inputPriceNanos: 15_000_000_000n,
      cachedInputPriceNanos: 7_500_000_000n,
      outputPriceNanos: 60_000_000_000n,
    };
    // input: 2_000_000 × $15/1M = $30; output: 100_000 × 128 × $60/1M = $768; total $798
    expect(holdNanos({ promptTokensUpperBound: 2_000_000, outputTokensCap: 100_000, n: 128 }, dear)).toBe(
      798_000_000_000n,
    );
    // one more prompt token adds $0.000015 = 15_000 nanos
    expect(holdNanos({ promptTokensUpperBound: 2_000_001, outputTokensCap: 100_000, n: 128 }, dear)).toBe(
      798_000_015_000n,
    );
  });
});
