import Link from "next/link";
import { buttonClass } from "@/components/ui/button";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { RequestLogTable } from "@/components/usage/request-log-table";
import { UsageFilterForm } from "@/components/usage/usage-filter-form";
import { requireTenant } from "@/lib/tenancy/context";
import { decodeCursor } from "@/lib/usage/cursor";
import { getFilterOptions } from "@/lib/usage/filter-options";
import { filtersToQuery, parseUsageFilters, type SearchParams } from "@/lib/usage/filters";
import { listRequestLog } from "@/lib/usage/request-log";

export const metadata = {
  title: "Request log",
  description: "Every request with its model, tokens, latency and cost.",
};

export default async function RequestsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { organization } = await requireTenant("MEMBER", "/dashboard/requests");
  const params = await searchParams;
  const filters = parseUsageFilters(params);
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const before = decodeCursor(one(params.before));
  const after = before ? null : decodeCursor(one(params.after));
  const [page, options] = await Promise.all([
    listRequestLog(organization.id, filters, { before, after }),
    getFilterOptions(organization.id),
  ]);
  const query = filtersToQuery(filters);
  return (
    <>
      <PageHeader
        title="Request log"
        description={`Every request's receipt, newest first, ${filters.fromDay} to ${filters.toDay} (UTC).`}
        actions={
          <a href={`/dashboard/requests/export?${query}`} download className={buttonClass("secondary")}>
            Download CSV
          </a>
        }
      />
      <UsageFilterForm action="/dashboard/requests" filters={filters} options={options} withStatus />
      <Card>
        {page.entries.length === 0 ? (
          <EmptyState title={before || after ? "No more requests this way" : "No requests in this range"}>
            {before || after ? (
              <Link href={`/dashboard/requests?${query}`} className="text-indigo-700 underline">
                Back to the newest requests
              </Link>
            ) : (
              "Requests made with this organization's API keys appear here with their cost, tokens and latency. Try a longer range or clear the filters."
            )}
          </EmptyState>
        ) : (
          <>
            <RequestLogTable entries={page.entries} />
            <nav
              aria-label="Pages"
              className="flex items-center justify-between gap-3 border-t border-slate-100 px-4 py-3"
            >
              {page.newer ? (
                <Link
                  href={`/dashboard/requests?${filtersToQuery(filters, { after: page.newer })}`}
                  className={buttonClass("secondary")}
                >
                  ← Newer
                </Link>
              ) : (
                <span />
              )}
              {page.older ? (
                <Link
                  href={`/dashboard/requests?${filtersToQuery(filters, { before: page.older })}`}
                  className={buttonClass("secondary")}
                >
                  Older →
                </Link>
              ) : (
                <span className="text-sm text-slate-500">End of the log</span>
              )}
            </nav>
          </>
        )}
      </Card>
    </>
  );
}
