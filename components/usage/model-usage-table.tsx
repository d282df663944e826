import { formatCount, formatUsd } from "@/lib/format";
import type { ModelUsage, UsageTotals } from "@/lib/usage/summary";

const TH = "px-3 py-2.5 font-medium whitespace-nowrap";
const TD = "px-3 py-2.5 text-right tabular-nums whitespace-nowrap";

export function ModelUsageTable({ byModel, totals }: { byModel: ModelUsage[]; totals: UsageTotals }) {
  const price = (value: bigint) => formatUsd(value);
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="model-usage-table">
        <caption className="sr-only">Usage by model, with a totals row</caption>
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            <th scope="col" className={`${TH} text-left`}>
              Model
            </th>
            <th scope="col" className={`${TH} text-right`}>
              Requests
            </th>
            <th scope="col" className={`${TH} text-right`}>
              Input tokens
            </th>
            <th scope="col" className={`${TH} text-right`}>
              Cached tokens
            </th>
            <th scope="col" className={`${TH} text-right`}>
              Output tokens
            </th>
            <th scope="col" className={`${TH} text-right`}>
              Price / 1M <span className="font-normal">(in · cached · out)</span>
            </th>
            <th scope="col" className={`${TH} text-right`}>
              Cost
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {byModel.map((m) => (
            <tr key={m.model} data-testid="model-row">
              <th scope="row" className="px-4 py-2.5 text-left font-medium whitespace-nowrap text-slate-900">
                {m.model}
                {m.displayName && m.displayName !== m.model && (
                  <span className="block text-xs font-normal text-slate-500">{m.displayName}</span>
                )}
              </th>
              <td className={TD}>{formatCount(m.requests)}</td>
              <td className={TD}>{formatCount(m.inputTokens)}</td>
              <td className={TD}>{formatCount(m.cachedInputTokens)}</td>
              <td className={TD}>{formatCount(m.outputTokens)}</td>
              <td className={`${TD} text-slate-600`}>
                {m.prices
                  ? `${price(m.prices.inputPriceNanos)} · ${price(m.prices.cachedInputPriceNanos)} · ${price(m.prices.outputPriceNanos)}`
                  : "not in the price table"}
              </td>
              <td className={`${TD} font-medium text-slate-900`}>{formatUsd(m.costNanos)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot className="border-t-2 border-slate-200 bg-slate-50 font-semibold text-slate-900">
          <tr data-testid="totals-row">
            <th scope="row" className="px-4 py-2.5 text-left">
              Total
            </th>
            <td className={TD}>{formatCount(totals.requests)}</td>
            <td className={TD}>{formatCount(totals.inputTokens)}</td>
            <td className={TD}>{formatCount(totals.cachedInputTokens)}</td>
            <td className={TD}>{formatCount(totals.outputTokens)}</td>
            <td className={TD} />
            <td className={TD} data-testid="total-cost">
              {formatUsd(totals.costNanos)}
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
