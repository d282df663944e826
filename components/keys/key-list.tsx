import Link from "next/link";
import { Badge } from "@/components/ui/card";
import { buttonClass } from "@/components/ui/button";
import { formatAgo, formatCompact, formatDate, formatDateTime, formatUsd } from "@/lib/format";
import type { ApiKeyRecord, ApiKeyStatus } from "@/lib/keys/manage";
import { RevokeKeyForm } from "./revoke-key-form";

// The keys of an organization as rows: a grid of columns at desktop width, stacked label/value
// pairs on a phone (the labels are read by screen readers at every width).

const PERIOD_WORD = { DAILY: "day", WEEKLY: "week", MONTHLY: "month" } as const;

export function spendSummary(key: ApiKeyRecord): { primary: string; detail: string | null } {
  if (key.spendLimitNanos === null) return { primary: formatUsd(key.spentNanos), detail: "no cap" };
  if (key.spendLimitPeriod === "TOTAL") {
    return { primary: `${formatUsd(key.spentNanos)} of ${formatUsd(key.spendLimitNanos)}`, detail: "total cap" };
  }
  return {
    primary: `${formatUsd(key.periodSpentNanos)} of ${formatUsd(key.spendLimitNanos)} this ${PERIOD_WORD[key.spendLimitPeriod]}`,
    detail: `${formatUsd(key.spentNanos)} all time`,
  };
}

export function limitsSummary(key: ApiKeyRecord): string[] {
  const parts: string[] = [];
  if (key.rpmLimit !== null) parts.push(`${formatCompact(key.rpmLimit)} requests/min`);
  if (key.tpmLimit !== null) parts.push(`${formatCompact(key.tpmLimit)} tokens/min`);
  if (key.maxConcurrency !== null) parts.push(`${formatCompact(key.maxConcurrency)} concurrent`);
  parts.push(key.allowedModels.length === 0 ? "all models" : `models: ${key.allowedModels.join(", ")}`);
  if (key.allowedIps.length > 0) parts.push(`IPs: ${key.allowedIps.join(", ")}`);
  if (key.expiresAt) parts.push(`${key.status === "expired" ? "expired" : "expires"} ${formatDateTime(key.expiresAt)}`);
  return parts;
}

const STATUS_TONE: Record<ApiKeyStatus, "green" | "amber" | "red"> = {
  active: "green",
  expired: "amber",
  revoked: "red",
};

export function KeyStatusBadge({ status }: { status: ApiKeyStatus }) {
  return (
    <Badge tone={STATUS_TONE[status]}>
      {status === "active" ? "Active" : status === "expired" ? "Expired" : "Revoked"}
    </Badge>
  );
}

const COLUMNS =
  "md:grid md:grid-cols-[minmax(0,1.4fr)_minmax(0,1.1fr)_minmax(0,0.8fr)_minmax(0,1.2fr)_minmax(0,1.4fr)_auto] md:gap-4";

export function KeyList({
  keys,
  canManage,
  now = new Date(),
}: {
  keys: ApiKeyRecord[];
  canManage: boolean;
  now?: Date;
}) {
  return (
    <div>
      <div
        aria-hidden
        className={`hidden border-b border-slate-100 px-5 py-2.5 text-xs font-medium tracking-wide text-slate-500 uppercase ${COLUMNS}`}
      >
        <span>Name</span>
        <span>Created</span>
        <span>Last used</span>
        <span>Spend</span>
        <span>Limits</span>
        <span className="text-right">Status</span>
      </div>
      <ul className="divide-y divide-slate-100">
        {keys.map((key) => {
          const spend = spendSummary(key);
          return (
            <li key={key.id} className="px-5 py-4" data-testid="key-row" data-key-id={key.id}>
              <dl className={`grid grid-cols-[7rem_minmax(0,1fr)] gap-x-3 gap-y-2 text-sm ${COLUMNS} md:items-start`}>
                <dt className="text-slate-500 md:sr-only">Name</dt>
                <dd className="min-w-0">
                  <p className="truncate font-medium text-slate-900" data-testid="key-name">
                    {key.name}
                  </p>
                  <p className="font-mono text-xs text-slate-500" data-testid="key-partial">
                    {key.partialKey}
                  </p>
                </dd>
                <dt className="text-slate-500 md:sr-only">Created</dt>
                <dd className="min-w-0">
                  <p className="text-slate-800">{formatDate(key.createdAt)}</p>
                  <p className="truncate text-xs text-slate-500">
                    {key.createdBy ? `by ${key.createdBy.name || key.createdBy.email}` : "by the operator"}
                  </p>
                </dd>
                <dt className="text-slate-500 md:sr-only">Last used</dt>
                <dd className="text-slate-800">
                  {key.lastUsedAt ? (
                    <time dateTime={key.lastUsedAt.toISOString()} title={formatDateTime(key.lastUsedAt)}>
                      {formatAgo(key.lastUsedAt, now)}
                    </time>
                  ) : (
                    <span className="text-slate-500">Never</span>
                  )}
                </dd>
                <dt className="text-slate-500 md:sr-only">Spend</dt>
                <dd className="min-w-0 tabular-nums" data-testid="key-spend">
                  <p className="text-slate-900">{spend.primary}</p>
                  {spend.detail && <p className="text-xs text-slate-500">{spend.detail}</p>}
                </dd>
                <dt className="text-slate-500 md:sr-only">Limits</dt>
                <dd className="min-w-0 text-xs text-slate-700" data-testid="key-limits">
                  {limitsSummary(key).join(" · ")}
                </dd>
                <dt className="text-slate-500 md:sr-only">Status</dt>
                <dd className="flex flex-wrap items-center gap-2 md:justify-end" data-testid="key-status">
                  <KeyStatusBadge status={key.status} />
                </dd>
              </dl>
              {canManage && key.status !== "revoked" && (
                <div className="mt-3 flex flex-wrap justify-end gap-2">
                  <Link
                    href={`/dashboard/keys/${key.id}`}
                    className={buttonClass("secondary")}
                    aria-label={`Edit limits of ${key.name}`}
                  >
                    Edit limits
                  </Link>
                  <RevokeKeyForm keyId={key.id} name={key.name} partialKey={key.partialKey} />
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
