import type { DayModelUsage } from "./summary";

// Shapes the daily rollup for the charts: one point per day of the range (days without traffic
// are zeros, not gaps), the costliest models as their own series and the rest as "Other".
// Amounts become USD numbers here for drawing only; every figure a person reads is exact elsewhere.

export const MAX_CHART_SERIES = 8;
export const OTHER_SERIES = "Other models";

export function chartSeries(modelsByCost: string[]): { series: string[]; seriesOf: (model: string) => string } {
  if (modelsByCost.length <= MAX_CHART_SERIES) return { series: modelsByCost, seriesOf: (m) => m };
  const kept = new Set(modelsByCost.slice(0, MAX_CHART_SERIES - 1));
  return { series: [...kept, OTHER_SERIES], seriesOf: (m) => (kept.has(m) ? m : OTHER_SERIES) };
}

export function spendChartData(days: string[], byDay: DayModelUsage[], modelsByCost: string[]) {
  const { series, seriesOf } = chartSeries(modelsByCost);
  const nanos = new Map<string, Map<string, bigint>>();
  for (const row of byDay) {
    const day = nanos.get(row.day) ?? new Map<string, bigint>();
    const name = seriesOf(row.model);
    day.set(name, (day.get(name) ?? 0n) + row.costNanos);
    nanos.set(row.day, day);
  }
  const data = days.map((day) => {
    const point: { day: string; [model: string]: number | string } = { day };
    for (const name of series) point[name] = Number(nanos.get(day)?.get(name) ?? 0n) / 1e9;
    return point;
  });
  return { data, series };
}

export function requestsChartData(days: string[], byDay: DayModelUsage[]) {
  const totals = new Map<string, { requests: number; failed: number }>();
  for (const row of byDay) {
    const t = totals.get(row.day) ?? { requests: 0, failed: 0 };
    t.requests += Number(row.requests);
    t.failed += Number(row.failedRequests);
    totals.set(row.day, t);
  }
  return days.map((day) => ({ day, ...(totals.get(day) ?? { requests: 0, failed: 0 }) }));
}
