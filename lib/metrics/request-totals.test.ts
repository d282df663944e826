import { describe, expect, it } from "vitest";
import { nanosToUsdNumber, RequestTotals, type RequestSample } from "./request-totals";

function sample(overrides: Partial<RequestSample> = {}): RequestSample {
  return {
    surface: "chat.completions",
    status: 200,
    model: "deepseek-v3",
    channel: "ch_1",
    requestCount: 1,
    inputTokens: 10,
    cachedInputTokens: 2,
    cacheWriteInputTokens: 1,
    outputTokens: 5,
    costNanos: 1_234n,
    ...overrides,
  };
}

describe("RequestTotals", () => {
  it("sums receipts per surface, status, model and channel, money in integer nanos", () => {
    const totals = new RequestTotals();
    totals.add(sample());
    totals.add(sample({ costNanos: 2n ** 60n, outputTokens: 7 }));
    totals.add(sample({ status: 502, model: "deepseek-v3", inputTokens: 0, outputTokens: 0, costNanos: 0n }));
    const series = [...totals.requests()];
    expect(series).toHaveLength(2);
    expect(series[0]).toMatchObject({ status: "200", requests: 2, inputTokens: 20, outputTokens: 12 });
    expect(series[0].costNanos).toBe(1_234n + 2n ** 60n); // exact: no float on the way
    expect(series[1]).toMatchObject({ status: "502", requests: 1, costNanos: 0n });
  });

  it("labels a refusal without a routed model or channel 'none' and counts an aggregated receipt by its requestCount", () => {
    const totals = new RequestTotals();
    totals.add(sample({ status: 404, model: null, channel: null, requestCount: 1, costNanos: 0n }));
    totals.add(sample({ status: 404, model: null, channel: null, requestCount: 7, costNanos: 0n }));
    expect([...totals.requests()]).toEqual([
      expect.objectContaining({ status: "404", model: "none", channel: "none", requests: 8 }),
    ]);
  });

  it("counts overages per model and channel", () => {
    const totals = new RequestTotals();
    totals.addOverage("m", "c", 5n);
    totals.addOverage("m", "c", 7n);
    totals.addOverage(null, null, 1n);
    expect([...totals.overages()]).toEqual([
      { model: "m", channel: "c", count: 2, nanos: 12n },
      { model: "none", channel: "none", count: 1, nanos: 1n },
    ]);
  });
});

describe("nanosToUsdNumber", () => {
  it("divides only at export, exactly for amounts a double can hold", () => {
    expect(nanosToUsdNumber(0n)).toBe(0);
    expect(nanosToUsdNumber(1n)).toBe(1e-9);
    expect(nanosToUsdNumber(1_500_000_000n)).toBe(1.5);
    expect(nanosToUsdNumber(123_456_789_012n)).toBe(123.456789012);
  });

  it("stays within a cent of the exact amount far beyond 2^53 nanos", () => {
    const nanos = 12_345_678_901_234_567_891n; // about $12 billion
    expect(Math.abs(nanosToUsdNumber(nanos) - 12_345_678_901.234567891)).toBeLessThan(0.01);
  });
});
