import { describe, expect, it } from "vitest";
import { chartSeries, MAX_CHART_SERIES, OTHER_SERIES, requestsChartData, spendChartData } from "./chart-data";

const row = (day: string, model: string, costNanos: bigint, requests = 1n, failedRequests = 0n) => ({
  day,
  model,
  costNanos,
  requests,
  failedRequests,
});

describe("chart data", () => {
  it("has a point for every day, zeros where nothing happened", () => {
    const days = ["2026-11-01", "2026-11-02", "2026-11-03"];
    const { data, series } = spendChartData(
      days,
      [row("2026-11-01", "a", 1_500_000_000n), row("2026-11-03", "b", 250_000_000n), row("2026-11-03", "a", 1n)],
      ["a", "b"],
    );
    expect(series).toEqual(["a", "b"]);
    expect(data).toEqual([
      { day: "2026-11-01", a: 1.5, b: 0 },
      { day: "2026-11-02", a: 0, b: 0 },
      { day: "2026-11-03", a: 1e-9, b: 0.25 },
    ]);
    expect(requestsChartData(days, [row("2026-11-02", "a", 0n, 7n, 2n), row("2026-11-02", "b", 0n, 3n)])).toEqual([
      { day: "2026-11-01", requests: 0, failed: 0 },
      { day: "2026-11-02", requests: 10, failed: 2 },
      { day: "2026-11-03", requests: 0, failed: 0 },
    ]);
  });

  it("folds the cheapest models into one series beyond the limit", () => {
    const models = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const { series, seriesOf } = chartSeries(models);
    expect(series).toHaveLength(MAX_CHART_SERIES);
    expect(series.at(-1)).toBe(OTHER_SERIES);
    expect(seriesOf("m0")).toBe("m0");
    expect(seriesOf("m11")).toBe(OTHER_SERIES);
    const { data } = spendChartData(
      ["d"],
      models.map((m) => row("d", m, 1_000_000_000n)),
      models,
    );
    expect(data[0][OTHER_SERIES]).toBe(12 - (MAX_CHART_SERIES - 1));
  });
});
