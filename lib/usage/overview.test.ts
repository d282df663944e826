import { describe, expect, it } from "vitest";
import { balanceAlert, summarizeUsage, SPEND_CHART_DAYS } from "./overview";

describe("summarizeUsage", () => {
  const now = new Date("2026-03-02T23:59:59.999Z");

  it("totals today and this UTC month, and fills 30 days ending today", () => {
    const summary = summarizeUsage(
      [
        { day: "2026-03-02", costNanos: 5n, requests: 2 },
        { day: "2026-03-01", costNanos: 1_000_000_000n, requests: 3 },
        { day: "2026-02-28", costNanos: 7n, requests: 1 }, // last month: in the chart, not the month
        { day: "2026-01-01", costNanos: 9n, requests: 9 }, // outside both
      ],
      now,
    );
    expect(summary.spendTodayNanos).toBe(5n);
    expect(summary.requestsToday).toBe(2);
    expect(summary.spendMonthNanos).toBe(1_000_000_005n);
    expect(summary.requestsMonth).toBe(5);
    expect(summary.last30Days).toHaveLength(SPEND_CHART_DAYS);
    expect(summary.last30Days[0].day).toBe("2026-02-01");
    expect(summary.last30Days.at(-1)).toEqual({ day: "2026-03-02", costNanos: 5n, requests: 2 });
    expect(summary.last30Days.find((p) => p.day === "2026-02-28")?.costNanos).toBe(7n);
    expect(summary.last30Days.find((p) => p.day === "2026-02-15")).toEqual({
      day: "2026-02-15",
      costNanos: 0n,
      requests: 0,
    });
    expect(summary.last30Days.reduce((sum, p) => sum + p.costNanos, 0n)).toBe(1_000_000_012n);
  });

  it("starts a new month at 00:00 UTC", () => {
    const summary = summarizeUsage(
      [{ day: "2026-02-28", costNanos: 7n, requests: 1 }],
      new Date("2026-03-01T00:00:00Z"),
    );
    expect(summary.spendMonthNanos).toBe(0n);
    expect(summary.spendTodayNanos).toBe(0n);
    expect(summary.last30Days.at(-2)).toEqual({ day: "2026-02-28", costNanos: 7n, requests: 1 });
  });

  it("is zero for an organization with no usage", () => {
    const summary = summarizeUsage([], now);
    expect(summary.spendMonthNanos).toBe(0n);
    expect(summary.last30Days.every((p) => p.costNanos === 0n && p.requests === 0)).toBe(true);
  });
});

describe("balanceAlert", () => {
  it("says empty at zero or below, low under the threshold, nothing otherwise", () => {
    expect(balanceAlert(0n, null)).toBe("empty");
    expect(balanceAlert(-1n, 5n)).toBe("empty");
    expect(balanceAlert(4n, 5n)).toBe("low");
    expect(balanceAlert(5n, 5n)).toBeNull();
    expect(balanceAlert(1n, null)).toBeNull();
  });
});
