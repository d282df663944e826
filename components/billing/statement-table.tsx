import { formatDate, formatDateTime, formatUsd } from "@/lib/format";
import type { StatementLine } from "@/lib/billing/statement";

/** The ledger, newest first; its total is the balance plus what in-flight requests hold. */
export function StatementTable({
  lines,
  ledgerTotalNanos,
  balanceNanos,
  heldNanos,
}: {
  lines: StatementLine[];
  ledgerTotalNanos: bigint;
  balanceNanos: bigint;
  heldNanos: bigint;
}) {
  const reconciles = ledgerTotalNanos === balanceNanos + heldNanos;
  return (
    <div className="relative overflow-x-auto">
      <table className="w-full min-w-[32rem] text-left text-sm" data-testid="ledger">
        <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
          <tr>
            <th scope="col" className="px-5 py-2 font-medium">
              Date
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Entry
            </th>
            <th scope="col" className="px-5 py-2 text-right font-medium">
              Amount
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {lines.length === 0 && (
            <tr>
              <td colSpan={3} className="px-5 py-6 text-center text-slate-600">
                No entries yet: credits and usage appear here.
              </td>
            </tr>
          )}
          {lines.map((line) => (
            <tr key={line.key}>
              <td className="px-5 py-3 whitespace-nowrap text-slate-700">
                {line.kind === "EARLIER"
                  ? "Before"
                  : line.kind === "USAGE"
                    ? formatDate(line.date)
                    : formatDateTime(line.date)}
              </td>
              <td className="px-5 py-3 text-slate-700">{line.description}</td>
              <td
                className={`px-5 py-3 text-right font-medium tabular-nums ${line.amountNanos < 0n ? "text-slate-900" : "text-emerald-700"}`}
              >
                {line.amountNanos > 0n ? "+" : ""}
                {formatUsd(line.amountNanos)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot className="border-t border-slate-200">
          <tr>
            <th scope="row" colSpan={2} className="px-5 py-3 text-left font-medium text-slate-900">
              Total{" "}
              <span className="font-normal text-slate-600">
                = balance {formatUsd(balanceNanos)} + held {formatUsd(heldNanos)}
              </span>
            </th>
            <td className="px-5 py-3 text-right font-semibold text-slate-900 tabular-nums" data-testid="ledger-total">
              {formatUsd(ledgerTotalNanos)}
            </td>
          </tr>
          {!reconciles && (
            <tr>
              <td colSpan={3} role="alert" className="px-5 pb-3 text-sm text-red-700">
                The ledger and the balance disagree. We have been alerted; please contact support.
              </td>
            </tr>
          )}
        </tfoot>
      </table>
    </div>
  );
}
