import Link from "next/link";
import {
  FlaggedOrganizationsTable,
  MoneyBackTable,
  PaymentsTable,
  StripeEventsTable,
} from "@/components/admin/payments/payment-tables";
import { buttonClass } from "@/components/ui/button";
import { Card, CardHeader, EmptyState, Notice, PageHeader, Stat } from "@/components/ui/card";
import { INPUT_CLASS } from "@/components/ui/field";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import {
  fulfilmentMessage,
  getPayment,
  listFlaggedOrganizations,
  listPayments,
  listPaymentsNeedingAttention,
  listPaymentsQuery,
  listRefundAndDisputeEntries,
  listStripeEvents,
  listStripeEventsQuery,
  PAYMENT_KINDS,
  PAYMENT_STATUSES,
  STUCK_AFTER_MINUTES,
} from "@/lib/admin/payments";
import { isTopUpConfigured } from "@/lib/billing/stripe/config";
import { usdToNanos } from "@/lib/billing/money";
import { formatCount, formatUsd } from "@/lib/format";

const usdLabel = (amount: string) => formatUsd(usdToNanos(amount));

export const generateMetadata = adminPageMetadata("Payments");

type SearchParams = Record<string, string | string[] | undefined>;

const STATUS_LABEL: Record<(typeof PAYMENT_STATUSES)[number], string> = {
  PENDING: "Pending",
  SUCCEEDED: "Credited",
  FAILED: "Failed",
  REFUNDED: "Refunded",
  EXPIRED: "Expired",
  NEEDS_REVIEW: "Needs review",
};

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === "" ? undefined : v;
}

export default async function AdminPaymentsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePlatformAdmin("/admin/payments");
  const params = await searchParams;
  const filters = listPaymentsQuery.safeParse({
    status: first(params.status),
    kind: first(params.kind),
    organization: first(params.organization),
    cursor: first(params.cursor),
  });
  const query = filters.success ? filters.data : listPaymentsQuery.parse({});
  const eventsQuery = listStripeEventsQuery.safeParse({ cursor: first(params.events) });
  const [payments, attention, flagged, moneyBack, events] = await Promise.all([
    listPayments(query),
    listPaymentsNeedingAttention(),
    listFlaggedOrganizations(),
    listRefundAndDisputeEntries(),
    listStripeEvents(eventsQuery.success ? eventsQuery.data : listStripeEventsQuery.parse({})),
  ]);
  const rerunMessage = fulfilmentMessage(first(params.result) ?? "");
  const rerunId = first(params.rerun);
  const rerun = rerunMessage && rerunId ? await getPayment(rerunId).catch(() => null) : null;
  const filterQuery = (extra: Record<string, string>) => {
    const q = new URLSearchParams();
    if (query.status) q.set("status", query.status);
    if (query.kind) q.set("kind", query.kind);
    if (query.organization) q.set("organization", query.organization);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q.toString();
  };
  const isFiltered = Boolean(query.status || query.kind || query.organization || query.cursor);

  return (
    <>
      <PageHeader
        title="Payments"
        description="Stripe top-ups across all organizations, the ones that need a person, and every webhook event with what processing did."
      />
      {!isTopUpConfigured() && (
        <p
          className="mb-6 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900"
          role="status"
        >
          Stripe is not configured on this server (STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET): tenants cannot top up and
          fulfilment cannot be re-run.
        </p>
      )}
      {rerun && (
        <div className="mb-6" data-testid="fulfilment-notice">
          <Notice
            tone={
              first(params.result) === "credited" || first(params.result) === "already_credited" ? "success" : "info"
            }
          >
            Fulfilment re-run for the {usdLabel(rerun.amountUsd)} top-up of {rerun.organization.name} (
            <span className="font-mono">{rerun.id}</span>): {rerunMessage}
          </Notice>
        </div>
      )}
      <div className="mb-6 grid grid-cols-2 gap-4 lg:grid-cols-4">
        <a href="#stuck" className="block">
          <Stat
            label="Stuck top-ups"
            value={formatCount(attention.stuck.length)}
            detail={`pending over ${STUCK_AFTER_MINUTES} min`}
            testId="stuck-count"
          />
        </a>
        <a href="#review" className="block">
          <Stat
            label="Need review"
            value={formatCount(attention.needsReview.length)}
            detail="amount or currency mismatch"
          />
        </a>
        <a href="#flagged" className="block">
          <Stat label="Flagged organizations" value={formatCount(flagged.length)} detail="set by a dispute" />
        </a>
        <a href="#refunds" className="block">
          <Stat
            label="Refunded or disputed"
            value={formatCount(attention.refundedOrDisputed.length)}
            detail="top-ups"
          />
        </a>
      </div>

      <div className="grid grid-cols-1 gap-6">
        <Card id="stuck">
          <CardHeader
            title="Stuck top-ups"
            description={`Pending for more than ${STUCK_AFTER_MINUTES} minutes: the webhook never came. Re-running fulfilment asks Stripe and credits only what was paid, at most once.`}
          />
          {attention.stuck.length === 0 ? (
            <EmptyState title="No stuck top-ups">
              Every top-up started more than an hour ago has been settled.
            </EmptyState>
          ) : (
            <PaymentsTable payments={attention.stuck} testId="stuck-payments" />
          )}
        </Card>

        <Card id="review">
          <CardHeader
            title="Top-ups that need review"
            description="Stripe reported another amount or currency than we asked for: nothing was credited. Check the payment in Stripe, then refund it there or credit the organization by hand."
          />
          {attention.needsReview.length === 0 ? (
            <EmptyState title="Nothing to review">Every paid amount matched its top-up.</EmptyState>
          ) : (
            <PaymentsTable payments={attention.needsReview} testId="review-payments" showReason />
          )}
        </Card>

        <Card id="flagged">
          <CardHeader
            title="Organizations flagged for review"
            description="A dispute (chargeback) flags its organization. Clear the flag once you have looked."
          />
          {flagged.length === 0 ? (
            <EmptyState title="No flagged organizations">Disputes flag organizations here.</EmptyState>
          ) : (
            <FlaggedOrganizationsTable organizations={flagged} />
          )}
        </Card>

        <Card id="top-ups">
          <CardHeader title="All top-ups" description="Newest first." />
          <form
            method="get"
            action="/admin/payments#top-ups"
            aria-label="Filter top-ups"
            className="grid gap-4 border-b border-slate-100 p-4 sm:grid-cols-2 sm:p-5 lg:grid-cols-4 lg:items-end"
          >
            <div className="grid gap-1.5">
              <label htmlFor="filter-status" className="text-sm font-medium text-slate-800">
                Status
              </label>
              <select id="filter-status" name="status" defaultValue={query.status ?? ""} className={INPUT_CLASS}>
                <option value="">All statuses</option>
                {PAYMENT_STATUSES.map((status) => (
                  <option key={status} value={status}>
                    {STATUS_LABEL[status]}
                  </option>
                ))}
              </select>
            </div>
            <div className="grid gap-1.5">
              <label htmlFor="filter-kind" className="text-sm font-medium text-slate-800">
                Kind
              </label>
              <select id="filter-kind" name="kind" defaultValue={query.kind ?? ""} className={INPUT_CLASS}>
                <option value="">Checkout and auto top-up</option>
                {PAYMENT_KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {kind === "CHECKOUT" ? "Checkout" : "Auto top-up"}
                  </option>
                ))}
              </select>
            </div>
            <div className="grid gap-1.5">
              <label htmlFor="filter-organization" className="text-sm font-medium text-slate-800">
                Organization
              </label>
              <input
                id="filter-organization"
                name="organization"
                defaultValue={query.organization ?? ""}
                placeholder="Name or id"
                className={INPUT_CLASS}
              />
            </div>
            <div className="flex gap-2">
              <button type="submit" className={buttonClass("primary")}>
                Filter
              </button>
              {isFiltered && (
                <Link href="/admin/payments#top-ups" className={buttonClass("ghost")}>
                  Clear
                </Link>
              )}
            </div>
          </form>
          {!filters.success && (
            <p role="alert" className="px-5 pt-3 text-sm text-red-700">
              Some filters were not understood and were ignored.
            </p>
          )}
          {payments.data.length === 0 ? (
            <EmptyState title={isFiltered ? "No top-ups match these filters" : "No top-ups yet"}>
              {isFiltered
                ? "Try another status or organization, or clear the filters."
                : "Top-ups tenants start on their Billing page appear here as soon as Checkout opens."}
            </EmptyState>
          ) : (
            <>
              <PaymentsTable payments={payments.data} testId="payments" />
              {(payments.nextCursor || query.cursor) && (
                <div className="flex gap-2 border-t border-slate-100 px-5 py-3">
                  {query.cursor && (
                    <Link href={`/admin/payments?${filterQuery({})}#top-ups`} className={buttonClass("secondary")}>
                      Newest
                    </Link>
                  )}
                  {payments.nextCursor && (
                    <Link
                      href={`/admin/payments?${filterQuery({ cursor: payments.nextCursor })}#top-ups`}
                      className={buttonClass("secondary")}
                    >
                      Older top-ups
                    </Link>
                  )}
                </div>
              )}
            </>
          )}
        </Card>

        <Card id="refunds">
          <CardHeader
            title="Refunds and disputes"
            description="Top-ups with money refunded or disputed, and the ledger entries that took it back from the balance."
          />
          {attention.refundedOrDisputed.length === 0 && moneyBack.length === 0 ? (
            <EmptyState title="No refunds or disputes">Refunds made in Stripe and chargebacks show up here.</EmptyState>
          ) : (
            <div className="grid gap-4 pb-2">
              {attention.refundedOrDisputed.length > 0 && (
                <PaymentsTable payments={attention.refundedOrDisputed} testId="refunded-payments" withActions={false} />
              )}
              {moneyBack.length > 0 && (
                <>
                  <h3 className="px-5 pt-2 text-sm font-semibold text-slate-900">Ledger entries</h3>
                  <MoneyBackTable entries={moneyBack} />
                </>
              )}
            </div>
          )}
        </Card>

        <Card id="events">
          <CardHeader
            title="Webhook events"
            description="Every Stripe event we processed, with what processing did. A redelivered event is recorded once."
          />
          {events.data.length === 0 ? (
            <EmptyState title="No webhook events yet">
              Events arrive at /api/stripe/webhook; see .env.example for the endpoint and the events to send.
            </EmptyState>
          ) : (
            <>
              <StripeEventsTable events={events.data} />
              {events.nextCursor && (
                <div className="border-t border-slate-100 px-5 py-3">
                  <Link
                    href={`/admin/payments?${filterQuery({ events: events.nextCursor })}#events`}
                    className={buttonClass("secondary")}
                  >
                    Older events
                  </Link>
                </div>
              )}
            </>
          )}
        </Card>
      </div>
    </>
  );
}
