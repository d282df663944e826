import { describe, expect, it } from "vitest";
import { dailyChart, parseAnalyticsRange, rangeDays, revenueChart } from "./analytics";

describe("analytics ranges", () => {
  it("accepts 7, 30 and 90 days and falls back to 30", () => {
    expect(parseAnalyticsRange("7")).toBe(7);
    expect(parseAnalyticsRange(["90", "7"])).toBe(90);
    for (const bad of [undefined, "", "8", "30.5", "-7", "1e1"]) expect(parseAnalyticsRange(bad)).toBe(30);
  });

  it("lists the last N UTC days, today included, across a month boundary", () => {
    const r = rangeDays(3, new Date("2026-03-01T23:59:00Z"));
    expect(r).toEqual({ fromDay: "2026-02-27", toDay: "2026-03-01", days: ["2026-02-27", "2026-02-28", "2026-03-01"] });
  });
});

describe("daily charts", () => {
  const days = ["2026-01-01", "2026-01-02"];
  const v = (day: string, series: string, costNanos: bigint, tokens = 0n) => ({
    day,
    series,
    costNanos,
    tokens,
    requests: 1n,
  });

  it("gives every day a point and every series a key, largest series first, zeros for missing days", () => {
    const chart = dailyChart(days, [v(days[1], "a", 1_500_000_000n), v(days[0], "b", 2_000_000_000n)], "usd");
    expect(chart.series).toEqual(["b", "a"]);
    expect(chart.data).toEqual([
      { day: days[0], a: 0, b: 2 },
      { day: days[1], a: 1.5, b: 0 },
    ]);
  });

  it("names series through labelOf, draws tokens, and drops series with nothing in them", () => {
    const chart = dailyChart(days, [v(days[0], "id1", 0n, 500n), v(days[0], "id2", 5n, 0n)], "tokens", (id) =>
      id === "id1" ? "Acme" : id,
    );
    expect(chart.series).toEqual(["Acme"]);
    expect(chart.data[0]).toEqual({ day: days[0], Acme: 500 });
  });

  it("keeps the seven largest series and sums the rest as Others", () => {
    const values = Array.from({ length: 10 }, (_, i) => v(days[0], `m${i}`, BigInt((i + 1) * 1_000_000_000)));
    const chart = dailyChart(days, values, "usd");
    expect(chart.series).toEqual(["m9", "m8", "m7", "m6", "m5", "m4", "m3", "Others"]);
    expect(chart.data[0].Others).toBe(1 + 2 + 3);
    expect(chart.data[1].Others).toBe(0);
  });

  it("draws revenue per day", () => {
    expect(revenueChart(days, [{ day: days[1], nanos: 10_000_000_000n, count: 1n }])).toEqual([
      { day: days[0], Revenue: 0 },
      { day: days[1], Revenue: 10 },
    ]);
  });
});
