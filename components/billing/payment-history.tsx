import { Badge, EmptyState } from "@/components/ui/card";
import { formatDateTime, formatUsd } from "@/lib/format";
import type { PaymentLine } from "@/lib/billing/statement";

function statusOf(payment: PaymentLine): { text: string; tone: "slate" | "green" | "amber" | "red" } {
  switch (payment.status) {
    case "SUCCEEDED":
      if (payment.disputedNanos > 0n) return { text: "Disputed", tone: "red" };
      if (payment.refundedNanos > 0n)
        return { text: `Partially refunded (${formatUsd(payment.refundedNanos)})`, tone: "amber" };
      return { text: "Paid", tone: "green" };
    case "PENDING":
      return { text: "Pending", tone: "slate" };
    case "FAILED":
      return { text: "Failed", tone: "red" };
    case "REFUNDED":
      return { text: "Refunded", tone: "slate" };
    case "EXPIRED":
      return { text: "Expired", tone: "slate" };
    case "NEEDS_REVIEW":
      return { text: "Under review", tone: "amber" };
  }
}

export function PaymentHistory({ payments }: { payments: PaymentLine[] }) {
  if (payments.length === 0) {
    return (
      <EmptyState title="No payments yet">Top-ups you pay through Stripe appear here with their receipts.</EmptyState>
    );
  }
  return (
    <div className="relative overflow-x-auto">
      <table className="w-full min-w-[36rem] text-left text-sm" data-testid="payment-history">
        <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
          <tr>
            <th scope="col" className="px-5 py-2 font-medium">
              Date
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Type
            </th>
            <th scope="col" className="px-5 py-2 text-right font-medium">
              Amount
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Status
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Receipt
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {payments.map((payment) => {
            const status = statusOf(payment);
            return (
              <tr key={payment.id}>
                <td className="px-5 py-3 whitespace-nowrap text-slate-700">{formatDateTime(payment.createdAt)}</td>
                <td className="px-5 py-3 text-slate-700">
                  {payment.kind === "AUTO_TOP_UP" ? "Auto top-up" : "Top-up"}
                </td>
                <td className="px-5 py-3 text-right font-medium text-slate-900 tabular-nums">
                  {formatUsd(payment.amountNanos)}
                </td>
                <td className="px-5 py-3">
                  <Badge tone={status.tone}>{status.text}</Badge>
                  {payment.status === "FAILED" && payment.failureReason && (
                    <p className="mt-1 max-w-xs text-xs text-slate-500">{payment.failureReason}</p>
                  )}
                </td>
                <td className="px-5 py-3">
                  {payment.receiptUrl ? (
                    <a
                      href={payment.receiptUrl}
                      target="_blank"
                      rel="noopener noreferrer"
                      className="font-medium text-indigo-700 hover:text-indigo-600"
                    >
                      Receipt<span className="sr-only"> for the {formatUsd(payment.amountNanos)} payment</span>
                    </a>
                  ) : (
                    <span className="text-slate-400">—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
