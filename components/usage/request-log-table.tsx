import Link from "next/link";
import { Badge } from "@/components/ui/card";
import { formatCount, formatUsd } from "@/lib/format";
import type { RequestLogEntry } from "@/lib/usage/request-log";

const TH = "px-3 py-2.5 font-medium whitespace-nowrap";
const TD = "px-3 py-2.5 whitespace-nowrap";

/** "2026-11-30 14:03:07" (UTC). */
export function formatTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${formatCount(ms)} ms`;
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

export function RequestLogTable({ entries }: { entries: RequestLogEntry[] }) {
  return (
    <>
      <RequestLogList entries={entries} />
      <div className="hidden overflow-x-auto md:block">
        <table className="w-full text-sm" data-testid="request-log-table">
          <caption className="sr-only">Requests, newest first. Times are UTC.</caption>
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th scope="col" className={`${TH} text-left`}>
                Time (UTC)
              </th>
              <th scope="col" className={`${TH} text-left`}>
                Key
              </th>
              <th scope="col" className={`${TH} text-left`}>
                Model
              </th>
              <th scope="col" className={`${TH} text-left`}>
                Status
                <span className="sr-only"> and flags</span>
              </th>
              <th scope="col" className={`${TH} text-right`}>
                Tokens <span className="font-normal">(in / cached / out)</span>
              </th>
              <th scope="col" className={`${TH} text-right`}>
                Cost
              </th>
              <th scope="col" className={`${TH} text-right`}>
                Latency <span className="font-normal">(TTFT)</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {entries.map((e) => (
              <tr key={e.id} data-testid="request-row" className="hover:bg-slate-50">
                <td className={`${TD} tabular-nums`}>
                  <Link
                    href={`/dashboard/requests/${encodeURIComponent(e.id)}`}
                    className="font-medium text-indigo-700 hover:underline"
                    aria-label={`Receipt of request ${e.id} at ${formatTimestamp(e.createdAt)}`}
                  >
                    {formatTimestamp(e.createdAt)}
                  </Link>
                </td>
                <td className={TD}>
                  {e.keyName ? (
                    <>
                      <span className="text-slate-900">{e.keyName}</span>
                      <span className="block font-mono text-xs text-slate-500">{e.keyPartial}</span>
                    </>
                  ) : (
                    <span className="text-slate-500">—</span>
                  )}
                </td>
                <td className={TD}>
                  <ModelCell requested={e.modelRequested} routed={e.modelRouted} />
                </td>
                <td className={TD}>
                  <span className="flex flex-wrap items-center gap-1">
                    <Badge tone={isOk(e.status) ? "green" : e.status === 402 || e.status === 429 ? "amber" : "red"}>
                      {e.status}
                    </Badge>
                    {hasFlags(e) && <Flags entry={e} />}
                  </span>
                </td>
                <td className={`${TD} text-right tabular-nums`}>
                  {formatCount(e.inputTokens)} / {formatCount(e.cachedInputTokens)} / {formatCount(e.outputTokens)}
                </td>
                <td className={`${TD} text-right font-medium tabular-nums`} data-testid="request-cost">
                  {formatUsd(e.costNanos)}
                </td>
                <td className={`${TD} text-right tabular-nums`}>
                  {formatMs(e.latencyMs)}
                  {e.ttftMs !== null && <span className="block text-xs text-slate-500">TTFT {formatMs(e.ttftMs)}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

// On a phone: one card per request, the same facts stacked instead of nine columns.
function RequestLogList({ entries }: { entries: RequestLogEntry[] }) {
  return (
    <ul className="divide-y divide-slate-100 md:hidden" aria-label="Requests, newest first">
      {entries.map((e) => (
        <li key={e.id} className="grid gap-1.5 px-4 py-3 text-sm" data-testid="request-card">
          <div className="flex items-baseline justify-between gap-3">
            <Link
              href={`/dashboard/requests/${encodeURIComponent(e.id)}`}
              className="font-medium text-indigo-700 tabular-nums hover:underline"
              aria-label={`Receipt of request ${e.id} at ${formatTimestamp(e.createdAt)}`}
            >
              {formatTimestamp(e.createdAt)}
            </Link>
            <span className="font-medium text-slate-900 tabular-nums">{formatUsd(e.costNanos)}</span>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone={isOk(e.status) ? "green" : e.status === 402 || e.status === 429 ? "amber" : "red"}>
              {e.status}
            </Badge>
            <ModelCell requested={e.modelRequested} routed={e.modelRouted} />
          </div>
          <p className="text-slate-600">
            {e.keyName ? `${e.keyName} · ` : ""}
            {formatCount(e.inputTokens)} in / {formatCount(e.cachedInputTokens)} cached / {formatCount(e.outputTokens)}{" "}
            out · {formatMs(e.latencyMs)}
            {e.ttftMs !== null ? ` (TTFT ${formatMs(e.ttftMs)})` : ""}
          </p>
          {hasFlags(e) && <Flags entry={e} />}
        </li>
      ))}
    </ul>
  );
}

export function ModelCell({ requested, routed }: { requested: string; routed: string | null }) {
  if (!routed || routed === requested) return <span className="text-slate-900">{routed ?? requested}</span>;
  return (
    <span className="text-slate-900">
      <span className="text-slate-500">{requested}</span> <span aria-label="routed to">→</span> {routed}
    </span>
  );
}

function hasFlags(e: RequestLogEntry): boolean {
  return e.usageSource === "ESTIMATED" || e.overageNanos > 0n || e.requestCount > 1;
}

export function Flags({ entry }: { entry: RequestLogEntry }) {
  const flags = [];
  if (entry.usageSource === "ESTIMATED")
    flags.push(
      <Badge key="est" tone="indigo">
        Estimated usage
      </Badge>,
    );
  if (entry.overageNanos > 0n)
    flags.push(
      <Badge key="over" tone="amber">
        Overage {formatUsd(entry.overageNanos)}
      </Badge>,
    );
  if (entry.requestCount > 1)
    flags.push(
      <Badge key="agg" tone="slate">
        × {formatCount(entry.requestCount)} refused
      </Badge>,
    );
  return flags.length ? (
    <span className="flex flex-wrap gap-1">{flags}</span>
  ) : (
    <span className="text-slate-400">—</span>
  );
}
