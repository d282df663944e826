"use client";

import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { shortDay } from "./spend-by-model-chart";

export interface RequestsChartDay {
  day: string;
  requests: number;
  failed: number;
}

// Requests per day, with the failed ones as their own series.
export function RequestsChart({ data }: { data: RequestsChartDay[] }) {
  return (
    <div
      className="h-56 w-full"
      data-testid="requests-chart"
      role="img"
      aria-label="Requests per UTC day, with failed requests as a second series. Totals are in the table below."
    >
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis allowDecimals={false} tick={{ fontSize: 12 }} width={64} />
          <Tooltip formatter={(value, name) => [Number(value).toLocaleString("en-US"), name]} />
          <Area
            type="monotone"
            dataKey="requests"
            name="Requests"
            stroke="#4f46e5"
            fill="#c7d2fe"
            isAnimationActive={false}
          />
          <Area
            type="monotone"
            dataKey="failed"
            name="Failed"
            stroke="#dc2626"
            fill="#fecaca"
            isAnimationActive={false}
          />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
