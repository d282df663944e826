import Link from "next/link";
import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/card";
import { getAdminOverview } from "@/lib/admin/overview";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { formatCount, formatUsd } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Overview");

/** A headline number that leads to the section explaining it. */
function Kpi({
  href,
  label,
  value,
  detail,
  tone = "plain",
  testId,
}: {
  href: string;
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  tone?: "plain" | "alert";
  testId: string;
}) {
  return (
    <Link
      href={href}
      data-testid={testId}
      className={`block rounded-lg border bg-white p-4 shadow-xs transition-colors hover:border-indigo-300 hover:bg-indigo-50/40 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 ${tone === "alert" ? "border-red-300" : "border-slate-200"}`}
    >
      <p className="text-sm text-slate-600">{label}</p>
      <p
        className={`mt-1 text-2xl font-semibold tracking-tight tabular-nums ${tone === "alert" ? "text-red-700" : "text-slate-900"}`}
      >
        {value}
      </p>
      {detail && <p className="mt-1 text-xs text-slate-500">{detail}</p>}
    </Link>
  );
}

export default async function AdminOverviewPage() {
  await requirePlatformAdmin("/admin");
  const o = await getAdminOverview();
  const unhealthy = o.channelsEnabled - o.channelsHealthy;
  return (
    <>
      <PageHeader
        title="Overview"
        description={`The platform at a glance; money over the last 30 UTC days (since ${o.fromDay}).`}
      />
      <h2 className="mb-3 text-sm font-semibold text-slate-700">Money and traffic</h2>
      <div className="mb-8 grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Kpi
          href="/admin/analytics?days=30"
          label="Revenue, 30 days"
          value={formatUsd(o.revenueNanos)}
          detail="top-ups credited"
          testId="kpi-revenue"
        />
        <Kpi
          href="/admin/analytics?days=30"
          label="Spend, 30 days"
          value={formatUsd(o.spendNanos)}
          detail={`${formatCount(o.requests)} requests`}
          testId="kpi-spend"
        />
        <Kpi
          href="/admin/tenants"
          label="Organizations"
          value={formatCount(o.organizations)}
          detail={`${formatCount(o.users)} active users`}
          testId="kpi-organizations"
        />
        <Kpi
          href="/admin/channels"
          label="Channels healthy"
          value={`${formatCount(o.channelsHealthy)} / ${formatCount(o.channelsEnabled)}`}
          detail={`enabled, of ${formatCount(o.channelsTotal)} configured${unhealthy > 0n ? `; ${formatCount(unhealthy)} failing` : ""}`}
          tone={unhealthy > 0n || o.channelsEnabled === 0n ? "alert" : "plain"}
          testId="kpi-channels"
        />
      </div>
      <h2 className="mb-3 text-sm font-semibold text-slate-700">Needs attention</h2>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
        <Kpi
          href="/admin/payments#stuck"
          label="Stuck top-ups"
          value={formatCount(o.stuckPayments)}
          detail="pending for over an hour"
          tone={o.stuckPayments > 0n ? "alert" : "plain"}
          testId="kpi-stuck"
        />
        <Kpi
          href="/admin/payments#review"
          label="Top-ups to review"
          value={formatCount(o.paymentsNeedingReview)}
          detail="amount or currency mismatch"
          tone={o.paymentsNeedingReview > 0n ? "alert" : "plain"}
          testId="kpi-review"
        />
        <Kpi
          href="/admin/payments#flagged"
          label="Flagged organizations"
          value={formatCount(o.flaggedOrganizations)}
          detail="flagged by a dispute"
          tone={o.flaggedOrganizations > 0n ? "alert" : "plain"}
          testId="kpi-flagged"
        />
      </div>
    </>
  );
}
