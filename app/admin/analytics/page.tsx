import Link from "next/link";
import type { ReactNode } from "react";
import { StackedDailyChart } from "@/components/charts/stacked-daily-chart";
import { Card, CardHeader, EmptyState, PageHeader, Stat } from "@/components/ui/card";
import {
  ANALYTICS_RANGES,
  dailyChart,
  getPlatformAnalytics,
  parseAnalyticsRange,
  revenueChart,
  TOP_ORGANIZATIONS,
} from "@/lib/admin/analytics";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { formatCompact, formatCount, formatUsd } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Analytics");

type SearchParams = Record<string, string | string[] | undefined>;

function Th({ children, right = false }: { children: ReactNode; right?: boolean }) {
  return (
    <th scope="col" className={`px-4 py-2 font-medium ${right ? "text-right" : ""}`}>
      {children}
    </th>
  );
}
const TD = "px-4 py-3";
const NUM = "px-4 py-3 text-right tabular-nums whitespace-nowrap";
const HEAD = "border-b border-slate-200 text-xs text-slate-500 uppercase";

function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return "—";
  return `${((Number(part) / Number(whole)) * 100).toFixed(1)}%`;
}

export default async function AdminAnalyticsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePlatformAdmin("/admin/analytics");
  const days = parseAnalyticsRange((await searchParams).days);
  const a = await getPlatformAnalytics(days);
  const list = a.range.list;
  const orgNames = new Map(a.topOrganizations.map((o) => [o.id, o.name]));
  const channelNames = new Map(a.channels.map((c) => [c.channelId ?? "", c.name]));
  const spendByModel = dailyChart(list, a.byModelDay, "usd");
  const tokensByModel = dailyChart(list, a.byModelDay, "tokens");
  const spendByOrg = dailyChart(list, a.byOrganizationDay, "usd", (id) =>
    id === "other" ? "Other organizations" : (orgNames.get(id) ?? id),
  );
  const spendByChannel = dailyChart(list, a.byChannelDay, "usd", (id) => channelNames.get(id) ?? id);
  const hasUsage = a.totals.requests > 0n || a.channels.length > 0;
  const { totals } = a;

  return (
    <>
      <PageHeader
        title="Analytics"
        description={`Revenue, spend and channel health across the platform, ${a.range.fromDay} to ${a.range.toDay} (UTC days).`}
        actions={
          <nav aria-label="Range" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
            {ANALYTICS_RANGES.map((n) => (
              <Link
                key={n}
                href={`/admin/analytics?days=${n}`}
                aria-current={n === days ? "page" : undefined}
                className={`rounded px-3 py-1.5 text-sm font-medium ${n === days ? "bg-indigo-600 text-white" : "text-slate-700 hover:bg-slate-100"}`}
              >
                {n} days
              </Link>
            ))}
          </nav>
        }
      />
      <div className="mb-6 grid grid-cols-2 gap-4 lg:grid-cols-4">
        <Stat
          label="Revenue (top-ups)"
          value={formatUsd(totals.revenueNanos)}
          detail={`${formatCount(totals.topUps)} credited${totals.moneyBackNanos !== 0n ? `, ${formatUsd(totals.moneyBackNanos)} refunds and disputes` : ""}`}
          testId="analytics-revenue"
        />
        <Stat
          label="Spend"
          value={formatUsd(totals.spendNanos)}
          detail="charged for requests"
          testId="analytics-spend"
        />
        <Stat
          label="Requests"
          value={formatCount(totals.requests)}
          detail={`${formatCount(totals.failedRequests)} failed`}
          testId="analytics-requests"
        />
        <Stat label="Tokens" value={formatCompact(totals.tokens)} detail="input, cached and output" />
      </div>

      <div className="grid grid-cols-1 gap-6">
        <Card>
          <CardHeader title="Revenue" description="Top-ups credited per UTC day (ledger entries)." />
          <div className="p-4">
            {totals.topUps === 0n ? (
              <EmptyState title="No top-ups in this range">Credited Stripe top-ups show up here.</EmptyState>
            ) : (
              <StackedDailyChart
                data={revenueChart(list, a.revenueByDay)}
                series={["Revenue"]}
                unit="usd"
                testId="revenue-chart"
                label={`Top-ups credited per UTC day: ${formatUsd(totals.revenueNanos)} in all.`}
              />
            )}
          </div>
        </Card>

        {!hasUsage ? (
          <Card>
            <EmptyState title="No requests in this range">
              Spend, tokens and channel health appear once tenants send requests. Try a longer range.
            </EmptyState>
          </Card>
        ) : (
          <>
            <Card>
              <CardHeader title="Spend by model" description="Per UTC day, stacked by the model that served." />
              <div className="p-4">
                <StackedDailyChart
                  {...spendByModel}
                  unit="usd"
                  testId="spend-by-model-chart"
                  label="Spend per UTC day, stacked by model. Exact amounts are in the table below."
                />
              </div>
            </Card>
            <Card>
              <CardHeader title="Tokens by model" description="Input, cached input and output tokens per UTC day." />
              <div className="p-4">
                <StackedDailyChart
                  {...tokensByModel}
                  unit="tokens"
                  testId="tokens-by-model-chart"
                  label="Tokens per UTC day, stacked by model. Totals are in the table below."
                />
              </div>
              <div className="relative overflow-x-auto border-t border-slate-100">
                <table className="w-full min-w-[40rem] text-left text-sm" data-testid="models-table">
                  <thead className={HEAD}>
                    <tr>
                      <Th>Model</Th>
                      <Th right>Requests</Th>
                      <Th right>Failed</Th>
                      <Th right>Input tokens</Th>
                      <Th right>Output tokens</Th>
                      <Th right>Spend</Th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {a.byModel.map((m) => (
                      <tr key={m.model}>
                        <td className={`${TD} font-medium text-slate-900`}>{m.model || "—"}</td>
                        <td className={NUM}>{formatCount(m.requests)}</td>
                        <td className={NUM}>{formatCount(m.failedRequests)}</td>
                        <td className={NUM}>{formatCount(m.inputTokens + m.cachedInputTokens)}</td>
                        <td className={NUM}>{formatCount(m.outputTokens)}</td>
                        <td className={NUM}>{formatUsd(m.costNanos)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
            <Card>
              <CardHeader
                title="Spend by organization"
                description={`The ${TOP_ORGANIZATIONS} organizations that spent most in the range; the rest together.`}
              />
              <div className="p-4">
                <StackedDailyChart
                  {...spendByOrg}
                  unit="usd"
                  testId="spend-by-organization-chart"
                  label="Spend per UTC day, stacked by organization. Exact amounts are in the table below."
                />
              </div>
              <div className="relative overflow-x-auto border-t border-slate-100">
                <table className="w-full min-w-[32rem] text-left text-sm" data-testid="organizations-table">
                  <thead className={HEAD}>
                    <tr>
                      <Th>Organization</Th>
                      <Th right>Requests</Th>
                      <Th right>Tokens</Th>
                      <Th right>Spend</Th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {a.topOrganizations.map((o) => (
                      <tr key={o.id}>
                        <td className={`${TD} font-medium text-slate-900`}>{o.name}</td>
                        <td className={NUM}>{formatCount(o.requests)}</td>
                        <td className={NUM}>{formatCount(o.tokens)}</td>
                        <td className={NUM}>{formatUsd(o.costNanos)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
            <Card>
              <CardHeader
                title="Channels"
                description="Spend per UTC day by the channel that served. Error rate: requests answered with a 5xx or cut short by the upstream (a request whose every attempt failed counts against the last channel it tried). Latency from the request receipts."
              />
              <div className="p-4">
                {spendByChannel.series.length === 0 ? (
                  <EmptyState title="No channel spend in this range" />
                ) : (
                  <StackedDailyChart
                    {...spendByChannel}
                    unit="usd"
                    testId="spend-by-channel-chart"
                    label="Spend per UTC day, stacked by channel. Error rate and latency are in the table below."
                  />
                )}
              </div>
              <div className="relative overflow-x-auto border-t border-slate-100">
                <table className="w-full min-w-[44rem] text-left text-sm" data-testid="channels-table">
                  <thead className={HEAD}>
                    <tr>
                      <Th>Channel</Th>
                      <Th right>Requests</Th>
                      <Th right>Error rate</Th>
                      <Th right>p50 latency</Th>
                      <Th right>p95 latency</Th>
                      <Th right>Spend</Th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {a.channels.map((c) => (
                      <tr key={c.channelId ?? "none"}>
                        <td className={`${TD} font-medium text-slate-900`}>{c.name}</td>
                        <td className={NUM}>{formatCount(c.requests)}</td>
                        <td className={`${NUM} ${c.errors > 0n ? "text-red-700" : ""}`}>
                          {`${percent(c.errors, c.requests)} (${formatCount(c.errors)})`}
                        </td>
                        <td className={NUM}>{c.p50LatencyMs === null ? "—" : `${formatCount(c.p50LatencyMs)} ms`}</td>
                        <td className={NUM}>{c.p95LatencyMs === null ? "—" : `${formatCount(c.p95LatencyMs)} ms`}</td>
                        <td className={NUM}>{formatUsd(c.costNanos)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          </>
        )}
      </div>
    </>
  );
}
