import Link from "next/link";
import { SpendChart } from "@/components/charts/spend-chart";
import { ButtonLink } from "@/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader, Stat } from "@/components/ui/card";
import { formatCount, formatUsd } from "@/lib/format";
import { hasRole, requireTenant } from "@/lib/tenancy/context";
import { getOverview, type Overview } from "@/lib/usage/overview";

export const metadata = {
  title: "Overview",
  description: "Balance, spend and recent requests of your organization at a glance.",
};

export default async function OverviewPage() {
  const { organization } = await requireTenant("MEMBER", "/dashboard");
  const overview = await getOverview(organization.id);
  const isStarted = overview.activeKeys > 0 && overview.hasRequests;
  return (
    <>
      <PageHeader title="Overview" description={organization.name} />
      <div className="grid gap-6">
        <BalanceBanner overview={overview} canAddCredit={hasRole(organization.role, "ADMIN")} />
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
          <Stat
            label="Balance"
            value={formatUsd(overview.balanceNanos)}
            detail="Prepaid credit available to new requests"
            testId="overview-balance"
          />
          <Stat
            label="Held by requests in flight"
            value={formatUsd(overview.heldNanos)}
            detail="Released or charged when each request ends; a busy key also holds its next few ahead"
            testId="overview-held"
          />
          <Stat
            label="Spend today"
            value={formatUsd(overview.spendTodayNanos)}
            detail={`${formatCount(overview.requestsToday)} request${overview.requestsToday === 1 ? "" : "s"} (UTC day)`}
            testId="overview-spend-today"
          />
          <Stat
            label="Spend this month"
            value={formatUsd(overview.spendMonthNanos)}
            detail={`${formatCount(overview.requestsMonth)} request${overview.requestsMonth === 1 ? "" : "s"} (UTC month)`}
            testId="overview-spend-month"
          />
        </div>
        {!isStarted && <GetStarted overview={overview} />}
        <Card>
          <CardHeader
            title="Spend, last 30 days"
            description={`${formatUsd(overview.last30Days.reduce((sum, p) => sum + p.costNanos, 0n))} over ${formatCount(
              overview.last30Days.reduce((sum, p) => sum + p.requests, 0),
            )} requests`}
            action={
              <Link href="/dashboard/usage" className="text-sm font-medium text-indigo-700 hover:text-indigo-600">
                Usage by model
              </Link>
            }
          />
          <div className="px-3 py-4 sm:px-5">
            {overview.last30Days.some((p) => p.requests > 0) ? (
              <SpendChart
                summary={`Daily spend over the last 30 days; ${formatUsd(overview.spendMonthNanos)} this month.`}
                points={overview.last30Days.map((p) => ({
                  day: p.day,
                  usd: Number(p.costNanos) / 1e9,
                  label: formatUsd(p.costNanos),
                  requests: p.requests,
                }))}
              />
            ) : (
              <EmptyState title="No requests in the last 30 days">
                Spend appears here, per UTC day, as soon as a key makes its first request.
              </EmptyState>
            )}
          </div>
        </Card>
      </div>
    </>
  );
}

function BalanceBanner({ overview, canAddCredit }: { overview: Overview; canAddCredit: boolean }) {
  if (!overview.balanceAlert) return null;
  const empty = overview.balanceAlert === "empty";
  return (
    <div
      role="status"
      data-testid="balance-banner"
      className={`flex flex-wrap items-center justify-between gap-3 rounded-lg border px-4 py-3 text-sm ${
        empty ? "border-red-200 bg-red-50 text-red-900" : "border-amber-200 bg-amber-50 text-amber-900"
      }`}
    >
      <p>
        {empty ? (
          <>
            <strong className="font-semibold">Your balance is empty.</strong> Requests are refused with 402 until you
            add credit.
          </>
        ) : (
          <>
            <strong className="font-semibold">Your balance is low:</strong> {formatUsd(overview.balanceNanos)} left,
            below the {formatUsd(overview.lowBalanceThresholdNanos ?? 0n)} alert threshold.
          </>
        )}{" "}
        {!canAddCredit && "Ask an owner or admin of this organization to add credit."}
      </p>
      {canAddCredit && (
        <ButtonLink href="/dashboard/settings" variant={empty ? "danger" : "primary"}>
          Add credit
        </ButtonLink>
      )}
    </div>
  );
}

function GetStarted({ overview }: { overview: Overview }) {
  const steps = [
    {
      done: overview.activeKeys > 0,
      title: "Create an API key",
      text: "Keys start with tf- and are shown once. Give each app its own.",
      href: "/dashboard/keys",
      action: "Create a key",
    },
    {
      done: overview.hasRequests,
      title: "Make your first request",
      text: "Point the OpenAI SDK at TokenFlow: copy a ready snippet for Python, Node or curl.",
      href: "/dashboard/quick-start",
      action: "Open quick start",
    },
    {
      done: false,
      title: "Try a model in the playground",
      text: 'Chat with any model your key allows, including "auto", and see what each answer cost.',
      href: "/dashboard/playground",
      action: "Open playground",
    },
  ];
  return (
    <Card>
      <CardHeader title="Get started" description="Three steps from sign-up to your first billed request." />
      <ol className="divide-y divide-slate-100" data-testid="get-started">
        {steps.map((step, i) => (
          <li key={step.href} className="flex flex-wrap items-center gap-4 px-5 py-4">
            <span
              aria-hidden="true"
              className={`flex size-8 shrink-0 items-center justify-center rounded-full text-sm font-semibold ${
                step.done ? "bg-emerald-100 text-emerald-700" : "bg-indigo-50 text-indigo-700"
              }`}
            >
              {step.done ? "✓" : i + 1}
            </span>
            <div className="min-w-0 flex-1 basis-60">
              <p className="font-medium text-slate-900">
                {step.title}
                {step.done && <span className="ml-2 text-sm font-normal text-emerald-700">Done</span>}
              </p>
              <p className="text-sm text-slate-600">{step.text}</p>
            </div>
            <ButtonLink href={step.href} variant={step.done ? "secondary" : "primary"}>
              {step.action}
            </ButtonLink>
          </li>
        ))}
      </ol>
    </Card>
  );
}
