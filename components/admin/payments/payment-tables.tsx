import Link from "next/link";
import type { ReactNode } from "react";
import { Badge } from "@/components/ui/card";
import { formatAgo, formatDateTime, formatUsd } from "@/lib/format";
import { usdToNanos } from "@/lib/billing/money";
import type { FlaggedOrganizationJson, MoneyBackEntryJson, PaymentJson, StripeEventJson } from "@/lib/admin/payments";
import { ClearReviewButton } from "./clear-review-button";
import { RerunFulfilmentButton } from "./rerun-fulfilment-button";

// The payments console's tables. Amounts arrive as exact USD strings from lib/admin/payments and are
// shown through formatUsd (bigint nanos), never through floats.

const usd = (amount: string) => formatUsd(usdToNanos(amount));
const when = (iso: string) => formatDateTime(new Date(iso));

const STATUS: Record<PaymentJson["status"], { text: string; tone: "slate" | "green" | "amber" | "red" | "indigo" }> = {
  PENDING: { text: "Pending", tone: "slate" },
  SUCCEEDED: { text: "Credited", tone: "green" },
  FAILED: { text: "Failed", tone: "red" },
  REFUNDED: { text: "Refunded", tone: "slate" },
  EXPIRED: { text: "Expired", tone: "slate" },
  NEEDS_REVIEW: { text: "Needs review", tone: "amber" },
};

export function PaymentStatusBadge({ payment }: { payment: PaymentJson }) {
  if (payment.isStuck) return <Badge tone="red">Stuck (pending)</Badge>;
  const status = STATUS[payment.status];
  return <Badge tone={status.tone}>{status.text}</Badge>;
}

function Th({ children, right = false }: { children: ReactNode; right?: boolean }) {
  return (
    <th scope="col" className={`px-4 py-2 font-medium ${right ? "text-right" : ""}`}>
      {children}
    </th>
  );
}

function Table({
  children,
  testId,
  minWidth = "min-w-[52rem]",
}: {
  children: ReactNode;
  testId: string;
  minWidth?: string;
}) {
  return (
    <div className="relative overflow-x-auto">
      <table className={`w-full ${minWidth} text-left text-sm`} data-testid={testId}>
        {children}
      </table>
    </div>
  );
}

const HEAD = "border-b border-slate-200 text-xs text-slate-500 uppercase";
const BODY = "divide-y divide-slate-100 align-top";
const TD = "px-4 py-3";

export function OrganizationLink({ id, name }: { id: string; name: string }) {
  return (
    <Link
      href={`/admin/payments?organization=${encodeURIComponent(id)}#top-ups`}
      className="font-medium text-slate-900 hover:text-indigo-700 hover:underline"
    >
      {name}
    </Link>
  );
}

function StripeIds({ payment }: { payment: PaymentJson }) {
  const ids = [
    ["Session", payment.stripe.sessionId],
    ["Payment", payment.stripe.paymentIntentId],
    ["Charge", payment.stripe.chargeId],
  ].filter((entry): entry is [string, string] => entry[1] !== null);
  if (ids.length === 0) return <span className="text-slate-500">Not sent to Stripe</span>;
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-xs">
      {ids.map(([label, id]) => (
        <div key={label} className="contents">
          <dt className="text-slate-500">{label}</dt>
          <dd className="font-mono break-all text-slate-700">{id}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Top-ups with status, amount and Stripe ids; `withActions` adds "Re-run fulfilment" where it can help. */
export function PaymentsTable({
  payments,
  testId,
  withActions = true,
  showReason = false,
}: {
  payments: PaymentJson[];
  testId: string;
  withActions?: boolean;
  showReason?: boolean;
}) {
  return (
    <Table testId={testId}>
      <thead className={HEAD}>
        <tr>
          <Th>Created</Th>
          <Th>Organization</Th>
          <Th>Kind</Th>
          <Th right>Amount</Th>
          <Th>Status</Th>
          <Th>Stripe</Th>
          {withActions && <Th>Action</Th>}
        </tr>
      </thead>
      <tbody className={BODY}>
        {payments.map((payment) => {
          const canRerun =
            (payment.status === "PENDING" || payment.status === "NEEDS_REVIEW") &&
            (payment.stripe.sessionId !== null || payment.stripe.paymentIntentId !== null);
          return (
            <tr key={payment.id} data-payment-id={payment.id}>
              <td className={`${TD} whitespace-nowrap text-slate-700`}>
                {when(payment.createdAt)}
                <span className="block text-xs text-slate-500">{formatAgo(new Date(payment.createdAt))}</span>
              </td>
              <td className={TD}>
                <OrganizationLink id={payment.organization.id} name={payment.organization.name} />
                <span className="block font-mono text-xs break-all text-slate-500">{payment.id}</span>
              </td>
              <td className={`${TD} whitespace-nowrap text-slate-700`}>
                {payment.kind === "AUTO_TOP_UP" ? "Auto top-up" : "Checkout"}
              </td>
              <td className={`${TD} text-right whitespace-nowrap text-slate-900 tabular-nums`}>
                {usd(payment.amountUsd)}
                {payment.refundedUsd !== "0.00" && (
                  <span className="block text-xs text-amber-700">refunded {usd(payment.refundedUsd)}</span>
                )}
                {payment.disputedUsd !== "0.00" && (
                  <span className="block text-xs text-red-700">disputed {usd(payment.disputedUsd)}</span>
                )}
              </td>
              <td className={TD}>
                <PaymentStatusBadge payment={payment} />
                {showReason && payment.reviewReason && (
                  <p className="mt-1 max-w-64 text-xs text-slate-700">{payment.reviewReason}</p>
                )}
                {payment.failureReason && <p className="mt-1 max-w-64 text-xs text-red-700">{payment.failureReason}</p>}
              </td>
              <td className={`${TD} max-w-72`}>
                <StripeIds payment={payment} />
                {payment.receiptUrl && (
                  <a
                    href={payment.receiptUrl}
                    className="text-xs text-indigo-700 underline"
                    rel="noreferrer"
                    target="_blank"
                  >
                    Receipt
                  </a>
                )}
              </td>
              {withActions && (
                <td className={TD}>
                  {canRerun ? (
                    <RerunFulfilmentButton paymentId={payment.id} organizationName={payment.organization.name} />
                  ) : (
                    <span className="text-xs text-slate-400">—</span>
                  )}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

const EVENT_TONE: Record<string, "green" | "amber" | "red" | "slate"> = {
  credited: "green",
  refunded: "amber",
  dispute_debited: "red",
  dispute_reversed: "green",
  mismatch: "red",
  livemode_mismatch: "red",
  unknown_payment: "amber",
  unknown_session: "amber",
  unknown_payment_intent: "amber",
  failed: "red",
};

export function StripeEventsTable({ events }: { events: StripeEventJson[] }) {
  return (
    <Table testId="stripe-events" minWidth="min-w-[44rem]">
      <thead className={HEAD}>
        <tr>
          <Th>Processed</Th>
          <Th>Event</Th>
          <Th>Result</Th>
          <Th>Top-up</Th>
        </tr>
      </thead>
      <tbody className={BODY}>
        {events.map((event) => (
          <tr key={event.id}>
            <td className={`${TD} whitespace-nowrap text-slate-700`}>{when(event.processedAt)}</td>
            <td className={TD}>
              <span className="font-medium text-slate-900">{event.type}</span>
              {event.livemode && (
                <span className="ml-2">
                  <Badge tone="indigo">live</Badge>
                </span>
              )}
              <span className="block font-mono text-xs break-all text-slate-500">{event.id}</span>
              {event.objectId && (
                <span className="block font-mono text-xs break-all text-slate-500">{event.objectId}</span>
              )}
            </td>
            <td className={TD}>
              <Badge tone={EVENT_TONE[event.result] ?? "slate"}>{event.result.replaceAll("_", " ")}</Badge>
            </td>
            <td className={TD}>
              {event.payment ? (
                <>
                  <OrganizationLink id={event.payment.organizationId} name={event.payment.organizationName} />
                  <span className="block font-mono text-xs break-all text-slate-500">{event.payment.id}</span>
                </>
              ) : (
                <span className="text-slate-500">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

const MONEY_BACK_LABEL: Record<MoneyBackEntryJson["kind"], string> = {
  REFUND: "Refund",
  DISPUTE: "Dispute opened",
  DISPUTE_REVERSAL: "Dispute won",
};

export function MoneyBackTable({ entries }: { entries: MoneyBackEntryJson[] }) {
  return (
    <Table testId="refund-ledger" minWidth="min-w-[44rem]">
      <thead className={HEAD}>
        <tr>
          <Th>Date</Th>
          <Th>Organization</Th>
          <Th>Entry</Th>
          <Th right>Balance change</Th>
        </tr>
      </thead>
      <tbody className={BODY}>
        {entries.map((entry) => (
          <tr key={entry.id}>
            <td className={`${TD} whitespace-nowrap text-slate-700`}>{when(entry.createdAt)}</td>
            <td className={TD}>
              <OrganizationLink id={entry.organization.id} name={entry.organization.name} />
            </td>
            <td className={TD}>
              <span className="font-medium text-slate-900">{MONEY_BACK_LABEL[entry.kind]}</span>
              {entry.note && <span className="block text-xs text-slate-600">{entry.note}</span>}
              <span className="block font-mono text-xs break-all text-slate-500">{entry.reference}</span>
            </td>
            <td
              className={`${TD} text-right whitespace-nowrap tabular-nums ${entry.amountUsd.startsWith("-") ? "text-red-700" : "text-emerald-700"}`}
            >
              {usd(entry.amountUsd)}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function FlaggedOrganizationsTable({ organizations }: { organizations: FlaggedOrganizationJson[] }) {
  return (
    <Table testId="flagged-organizations" minWidth="min-w-[40rem]">
      <thead className={HEAD}>
        <tr>
          <Th>Organization</Th>
          <Th>Why</Th>
          <Th right>Balance</Th>
          <Th>Action</Th>
        </tr>
      </thead>
      <tbody className={BODY}>
        {organizations.map((org) => (
          <tr key={org.id}>
            <td className={TD}>
              <OrganizationLink id={org.id} name={org.name} />
              <span className="block text-xs text-slate-500">flagged {formatAgo(new Date(org.flaggedAt))}</span>
            </td>
            <td className={`${TD} max-w-80 text-slate-700`}>{org.reviewReason ?? "No reason recorded"}</td>
            <td
              className={`${TD} text-right whitespace-nowrap tabular-nums ${org.balanceUsd.startsWith("-") ? "text-red-700" : "text-slate-900"}`}
            >
              {usd(org.balanceUsd)}
            </td>
            <td className={TD}>
              <ClearReviewButton organizationId={org.id} name={org.name} />
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
