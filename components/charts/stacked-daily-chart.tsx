"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { seriesColor } from "./palette";
import { shortDay } from "./spend-by-model-chart";

// A per-day bar chart, stacked by series (models, organizations, channels), in USD or tokens.
// Values arrive as numbers for drawing only: the exact amounts are in the tables beside the chart.
export interface DailyPoint {
  day: string;
  [series: string]: number | string;
}

export function StackedDailyChart({
  data,
  series,
  unit,
  label,
  testId,
}: {
  data: DailyPoint[];
  series: string[];
  unit: "usd" | "tokens";
  /** What a screen reader hears for the chart. */
  label: string;
  testId: string;
}) {
  const format = unit === "usd" ? usdLabel : tokenLabel;
  return (
    <div className="h-72 w-full" data-testid={testId} role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis tickFormatter={unit === "usd" ? usdTick : tokenLabel} tick={{ fontSize: 12 }} width={72} />
          <Tooltip formatter={(value) => format(Number(value))} labelFormatter={(day) => String(day)} />
          {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {series.map((name, i) => (
            <Bar key={name} dataKey={name} stackId="total" fill={seriesColor(i)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function usdTick(value: number): string {
  if (value === 0) return "$0";
  if (value >= 1) return `$${value.toFixed(value >= 100 ? 0 : 2)}`;
  return `$${value.toPrecision(2)}`;
}

function usdLabel(value: number): string {
  return value >= 0.01 || value === 0 ? `$${value.toFixed(2)}` : `$${value.toPrecision(3)}`;
}

function tokenLabel(value: number): string {
  if (Math.abs(value) >= 1e9) return `${(value / 1e9).toFixed(1).replace(/\.0$/, "")}B`;
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(1).replace(/\.0$/, "")}M`;
  if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(1).replace(/\.0$/, "")}K`;
  return String(Math.round(value));
}
