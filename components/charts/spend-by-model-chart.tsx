"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { seriesColor } from "./palette";

// Spend per day, stacked by model. Values arrive as USD numbers for drawing only: the exact
// amounts (bigint nanos) are in the table below the chart.
export interface SpendChartDay {
  day: string;
  [model: string]: number | string;
}

export function SpendByModelChart({ data, models }: { data: SpendChartDay[]; models: string[] }) {
  return (
    <div
      className="h-72 w-full"
      data-testid="spend-chart"
      role="img"
      aria-label="Spend per UTC day, stacked by model. Exact amounts are in the table below."
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis tickFormatter={usdTick} tick={{ fontSize: 12 }} width={80} />
          <Tooltip formatter={(value) => usdLabel(Number(value))} labelFormatter={(day) => String(day)} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {models.map((model, i) => (
            <Bar key={model} dataKey={model} stackId="spend" fill={seriesColor(i)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function shortDay(day: string): string {
  return day.slice(5); // MM-DD
}

function usdTick(value: number): string {
  if (value === 0) return "$0";
  if (value >= 1) return `$${value.toFixed(value >= 100 ? 0 : 2)}`;
  return `$${value.toPrecision(2)}`;
}

function usdLabel(value: number): string {
  return value >= 0.01 || value === 0 ? `$${value.toFixed(2)}` : `$${value.toPrecision(3)}`;
}
