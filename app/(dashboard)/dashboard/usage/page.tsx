import Link from "next/link";
import { RequestsChart } from "@/components/charts/requests-chart";
import { SpendByModelChart } from "@/components/charts/spend-by-model-chart";
import { Card, CardHeader, EmptyState, PageHeader, Stat } from "@/components/ui/card";
import { buttonClass } from "@/components/ui/button";
import { UsageFilterForm } from "@/components/usage/usage-filter-form";
import { ModelUsageTable } from "@/components/usage/model-usage-table";
import { formatCompact, formatCount, formatUsd } from "@/lib/format";
import { requireTenant } from "@/lib/tenancy/context";
import { requestsChartData, spendChartData } from "@/lib/usage/chart-data";
import { getFilterOptions } from "@/lib/usage/filter-options";
import { daysOf, filtersToQuery, parseUsageFilters, type SearchParams } from "@/lib/usage/filters";
import { getUsageSummary } from "@/lib/usage/summary";

export const metadata = {
  title: "Usage",
  description: "Spend and tokens per model and per key over time, with CSV export.",
};

export default async function UsagePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { organization } = await requireTenant("MEMBER", "/dashboard/usage");
  const filters = parseUsageFilters(await searchParams);
  const [summary, options] = await Promise.all([
    getUsageSummary(organization.id, filters),
    getFilterOptions(organization.id),
  ]);
  const days = daysOf(filters);
  const { totals } = summary;
  const spend = spendChartData(
    days,
    summary.byDay,
    summary.byModel.map((m) => m.model),
  );
  const hasUsage = totals.requests > 0n;
  return (
    <>
      <PageHeader
        title="Usage"
        description={`Spend and tokens per model, ${filters.fromDay} to ${filters.toDay} (UTC days).`}
        actions={
          <Link href={`/dashboard/requests?${filtersToQuery(filters)}`} className={buttonClass("secondary")}>
            View these requests
          </Link>
        }
      />
      <UsageFilterForm action="/dashboard/usage" filters={filters} options={options} />
      {!hasUsage ? (
        <Card>
          <EmptyState title="No usage in this range">
            Requests made with this organization&apos;s API keys show up here once they are billed. Try a longer range
            or clear the filters, or send a first request: see{" "}
            <Link href="/dashboard/quick-start" className="text-indigo-700 underline">
              Quick start
            </Link>
            .
          </EmptyState>
        </Card>
      ) : (
        <div className="grid grid-cols-1 gap-6">
          <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            <Stat label="Spend" value={formatUsd(totals.costNanos)} testId="total-spend" />
            <Stat
              label="Requests"
              value={formatCount(totals.requests)}
              detail={`${formatCount(totals.failedRequests)} failed`}
              testId="total-requests"
            />
            <Stat
              label="Input tokens"
              value={formatCompact(totals.inputTokens + totals.cachedInputTokens)}
              detail={`${formatCompact(totals.cachedInputTokens)} cached`}
            />
            <Stat label="Output tokens" value={formatCompact(totals.outputTokens)} />
          </div>
          <Card>
            <CardHeader title="Spend by model" description="Per UTC day, stacked by the model that served." />
            <div className="p-4">
              <SpendByModelChart data={spend.data} models={spend.series} />
            </div>
          </Card>
          <Card>
            <CardHeader title="Requests" description="Per UTC day; failed requests in red." />
            <div className="p-4">
              <RequestsChart data={requestsChartData(days, summary.byDay)} />
            </div>
          </Card>
          <Card>
            <CardHeader
              title="By model"
              description="Cost is what was charged; unit prices are today's list prices per 1M tokens."
            />
            <ModelUsageTable byModel={summary.byModel} totals={totals} />
          </Card>
        </div>
      )}
    </>
  );
}
