"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

// Daily spend as bars. Money arrives as exact labels (formatted from nanos on the server); the bar
// heights are the only floats, and they only draw.
export interface SpendChartPoint {
  day: string; // "YYYY-MM-DD"
  usd: number; // bar height only
  label: string; // "$0.000142"
  requests: number;
}

export function SpendChart({ points, summary }: { points: SpendChartPoint[]; summary: string }) {
  return (
    <figure className="grid gap-2">
      <div className="h-56 w-full" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid vertical={false} stroke="#e2e8f0" />
            <XAxis
              dataKey="day"
              tickFormatter={(day: string) => day.slice(5)}
              tick={{ fontSize: 12, fill: "#64748b" }}
              tickLine={false}
              axisLine={false}
              minTickGap={16}
            />
            <YAxis
              tickFormatter={axisUsd}
              tick={{ fontSize: 12, fill: "#64748b" }}
              tickLine={false}
              axisLine={false}
              width={84}
            />
            <Tooltip
              cursor={{ fill: "#eef2ff" }}
              content={({ active, payload }) => {
                const point = active ? (payload?.[0]?.payload as SpendChartPoint | undefined) : undefined;
                if (!point) return null;
                return (
                  <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md">
                    <p className="font-medium text-slate-900">{point.day}</p>
                    <p className="text-slate-700">{point.label}</p>
                    <p className="text-slate-500">
                      {point.requests} request{point.requests === 1 ? "" : "s"}
                    </p>
                  </div>
                );
              }}
            />
            <Bar dataKey="usd" fill="#4f46e5" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="text-xs text-slate-500">UTC days. Hover a bar for its exact amount.</figcaption>
    </figure>
  );
}

/** An axis label: enough decimals for a sub-cent tick to read as itself ("$0.000020", never "$0.00"). */
function axisUsd(usd: number): string {
  if (usd <= 0) return "$0";
  const decimals = usd >= 0.01 ? 2 : Math.min(9, Math.ceil(-Math.log10(usd)) + 1);
  return `$${usd.toFixed(decimals)}`;
}
