import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { Badge, Card, CardHeader, PageHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { Flags, formatMs, formatTimestamp, isOk } from "@/components/usage/request-log-table";
import { femtoUsdToUsd, lineAmountUsd, nanosToUsdFixed } from "@/lib/billing/money";
import { formatCount, formatUsd } from "@/lib/format";
import { requireTenant } from "@/lib/tenancy/context";
import { getReceipt, receiptLines } from "@/lib/usage/receipt";

export const metadata = {
  title: "Receipt",
  description: "The receipt of one request: tokens, prices, cost and timing.",
};

const USAGE_SOURCE: Record<string, string> = {
  UPSTREAM: "Reported by the provider",
  ESTIMATED: "Estimated (counted from what the provider sent; the stream was cut or the client left)",
  NONE: "None (nothing was produced, nothing charged)",
};

export default async function ReceiptPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { organization } = await requireTenant("MEMBER", `/dashboard/requests/${encodeURIComponent(id)}`);
  const receipt = await getReceipt(organization.id, id);
  if (!receipt) notFound();
  const { lines, exactFemtoUsd, computedNanos } = receiptLines(receipt);
  const aggregated = receipt.requestCount > 1;
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/dashboard/requests" className="text-indigo-700 hover:underline">
          ← Request log
        </Link>
      </p>
      <PageHeader
        title="Receipt"
        description={
          <span className="font-mono break-all" data-testid="receipt-id">
            {receipt.id}
          </span>
        }
        actions={<CopyButton value={receipt.id} label="Copy request id" />}
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card>
          <CardHeader
            title="Cost"
            description="Tokens × unit price per 1M tokens (as admitted), summed, then rounded up to the nano-dollar."
          />
          <div className="overflow-x-auto">
            <table className="w-full text-sm" data-testid="receipt-lines">
              <caption className="sr-only">Cost line by line</caption>
              <thead className="bg-slate-50 text-slate-600">
                <tr>
                  <th scope="col" className="px-4 py-2.5 text-left font-medium">
                    Line (tokens × price per 1M)
                  </th>
                  <th scope="col" className="px-4 py-2.5 text-right font-medium">
                    Amount (USD)
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 tabular-nums">
                {lines.map((line) => (
                  <tr key={line.label}>
                    <th scope="row" className="px-4 py-2.5 text-left font-normal text-slate-700">
                      {line.label}
                      <span className="block text-xs text-slate-500">
                        {formatCount(line.tokens)} × {formatUsd(line.pricePerMillionNanos)} per 1M tokens
                      </span>
                    </th>
                    <td className="px-4 py-2.5 text-right font-mono whitespace-nowrap">
                      {lineAmountUsd(line.tokens, line.pricePerMillionNanos)}
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot className="border-t-2 border-slate-200 tabular-nums">
                <Total label="Exact sum" value={femtoUsdToUsd(exactFemtoUsd)} />
                <Total label="Rounded up to the nano-dollar" value={nanosToUsdFixed(computedNanos)} />
                <Total label="Charged" value={nanosToUsdFixed(receipt.costNanos)} strong testId="receipt-charged" />
              </tfoot>
            </table>
          </div>
          <div className="grid gap-2 border-t border-slate-100 px-4 py-3 text-sm text-slate-600">
            {receipt.costNanos !== computedNanos && (
              <p role="note">
                {receipt.costNanos === 0n
                  ? "Nothing was charged for this request."
                  : "The charge differs from the line sum: the provider reported usage the lines above do not break down."}
              </p>
            )}
            <p>
              Held at admission: {formatUsd(receipt.holdNanos)}
              {receipt.overageNanos > 0n
                ? `. The provider billed past the hold: ${formatUsd(receipt.overageNanos)} overage, charged in full.`
                : "; the rest was released."}
            </p>
          </div>
        </Card>
        <Card>
          <CardHeader title="Request" />
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-2.5 p-4 text-sm">
            <Row label="Time (UTC)">{formatTimestamp(receipt.createdAt)}</Row>
            <Row label="Status">
              <Badge tone={isOk(receipt.status) ? "green" : "red"}>{receipt.status}</Badge>
              {receipt.errorCode && <span className="ml-2 font-mono text-xs text-slate-600">{receipt.errorCode}</span>}
            </Row>
            <Row label="API key">
              {receipt.keyName ? (
                <>
                  {receipt.keyName} <span className="font-mono text-xs text-slate-500">{receipt.keyPartial}</span>
                </>
              ) : (
                "—"
              )}
            </Row>
            <Row label="Endpoint">
              {receipt.endpoint}
              {receipt.isStream ? " (stream)" : ""}
            </Row>
            <Row label="Model requested">{receipt.modelRequested}</Row>
            <Row label="Model routed">{receipt.modelRouted ?? "— (not routed)"}</Row>
            <Row label="Why this model">{receipt.routeReason ?? "Requested by name"}</Row>
            <Row label="Attempts">{formatCount(receipt.attempts)}</Row>
            <Row label="Latency">{formatMs(receipt.latencyMs)}</Row>
            <Row label="Time to first token">{formatMs(receipt.ttftMs)}</Row>
            <Row label="Usage source">{USAGE_SOURCE[receipt.usageSource] ?? receipt.usageSource}</Row>
            {aggregated && (
              <Row label="Requests">
                {formatCount(receipt.requestCount)} refused requests of the same minute, key and error, counted in this
                one receipt
              </Row>
            )}
            <Row label="Flags">
              <Flags entry={receipt} />
            </Row>
          </dl>
        </Card>
      </div>
    </>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 break-words text-slate-900">{children}</dd>
    </>
  );
}

function Total({ label, value, strong, testId }: { label: string; value: string; strong?: boolean; testId?: string }) {
  return (
    <tr className={strong ? "font-semibold text-slate-900" : "text-slate-600"}>
      <th scope="row" className="px-4 py-2 text-right font-normal">
        {label}
      </th>
      <td className="px-4 py-2 text-right font-mono whitespace-nowrap" data-testid={testId}>
        {value}
      </td>
    </tr>
  );
}
