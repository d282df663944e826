import { describe, expect, it } from "vitest";
import { costNanos } from "@/lib/billing/money";
import { receiptLines, type Receipt } from "./receipt";

const base = {
  inputTokens: 1234,
  cachedInputTokens: 567,
  outputTokens: 89,
  inputPriceNanos: 270_000_000n,
  cachedInputPriceNanos: 70_000_000n,
  outputPriceNanos: 1_100_000_000n,
} as Receipt;

describe("receipt lines", () => {
  it("are tokens × price per 1M exactly, and their rounded sum is what settlement charges", () => {
    const { lines, exactFemtoUsd, computedNanos } = receiptLines(base);
    expect(lines.map((l) => l.femtoUsd)).toEqual([1234n * 270_000_000n, 567n * 70_000_000n, 89n * 1_100_000_000n]);
    expect(exactFemtoUsd).toBe(333_180_000_000n + 39_690_000_000n + 97_900_000_000n);
    expect(computedNanos).toBe(costNanos(base, base));
    expect(computedNanos).toBe(470_770n);
  });

  it("round a fraction of a nano up, never down", () => {
    const { exactFemtoUsd, computedNanos } = receiptLines({
      ...base,
      inputTokens: 1,
      cachedInputTokens: 0,
      outputTokens: 0,
      inputPriceNanos: 1n,
    });
    expect(exactFemtoUsd).toBe(1n);
    expect(computedNanos).toBe(1n);
    expect(receiptLines({ ...base, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }).computedNanos).toBe(0n);
  });

  it("add a cache-write line when the request wrote to a prompt cache, and still match settlement", () => {
    const receipt = { ...base, cacheWriteInputTokens: 300, cacheWriteInputPriceNanos: 3_750_000_000n } as Receipt;
    const { lines, computedNanos } = receiptLines(receipt);
    expect(lines.map((l) => l.label)).toEqual([
      "Input tokens",
      "Cached input tokens",
      "Cache write tokens",
      "Output tokens",
    ]);
    expect(computedNanos).toBe(
      costNanos({ ...receipt, cacheWriteInputTokens: 300 }, { ...receipt, cacheWriteInputPriceNanos: 3_750_000_000n }),
    );
  });
});
