import { getPool } from "@/lib/db/pool";

// The dashboard overview of one organization: its money (balance, and what requests in flight hold),
// spend and requests today and this month (UTC days, from the daily rollups settlement keeps), the
// last 30 days for the chart, and whether it has started at all (keys, requests).

export const SPEND_CHART_DAYS = 30;

export interface DailyPoint {
  /** UTC day, "YYYY-MM-DD". */
  day: string;
  costNanos: bigint;
  requests: number;
}

export interface UsageSummary {
  spendTodayNanos: bigint;
  spendMonthNanos: bigint;
  requestsToday: number;
  requestsMonth: number;
  /** One point per UTC day, oldest first, ending today; days without requests are zero. */
  last30Days: DailyPoint[];
}

export type BalanceAlert = "empty" | "low" | null;

export interface Overview extends UsageSummary {
  balanceNanos: bigint;
  heldNanos: bigint;
  lowBalanceThresholdNanos: bigint | null;
  balanceAlert: BalanceAlert;
  activeKeys: number;
  hasRequests: boolean;
}

export async function getOverview(organizationId: string, now: Date = new Date()): Promise<Overview> {
  const pool = getPool();
  const today = utcDay(now);
  const from = [monthStart(today), addDays(today, 1 - SPEND_CHART_DAYS)].sort()[0];
  const [org, usage, started] = await Promise.all([
    pool.query<{ balanceNanos: bigint; heldNanos: bigint; lowBalanceThresholdNanos: bigint | null }>(
      `SELECT "balanceNanos", "heldNanos", "lowBalanceThresholdNanos" FROM "Organization" WHERE id = $1`,
      [organizationId],
    ),
    pool.query<{ day: string; costNanos: bigint; requests: bigint }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum("costNanos")::BIGINT AS "costNanos", sum(requests)::BIGINT AS requests
         FROM "UsageDaily"
        WHERE "organizationId" = $1 AND day >= $2::DATE AND day <= $3::DATE
        GROUP BY day`,
      [organizationId, from, today],
    ),
    pool.query<{ activeKeys: number; hasRequests: boolean }>(
      `SELECT (SELECT count(*)::INT FROM "ApiKey"
                WHERE "organizationId" = $1 AND scope = 'GATEWAY' AND "revokedAt" IS NULL
                  AND ("expiresAt" IS NULL OR "expiresAt" > $2::TIMESTAMP)) AS "activeKeys",
              EXISTS (SELECT 1 FROM "RequestLog" WHERE "organizationId" = $1) AS "hasRequests"`,
      [organizationId, now.toISOString()],
    ),
  ]);
  const o = org.rows[0];
  if (!o) throw new Error(`organization ${organizationId} not found`);
  return {
    balanceNanos: o.balanceNanos,
    heldNanos: o.heldNanos,
    lowBalanceThresholdNanos: o.lowBalanceThresholdNanos,
    balanceAlert: balanceAlert(o.balanceNanos, o.lowBalanceThresholdNanos),
    ...summarizeUsage(
      usage.rows.map((r) => ({ day: r.day, costNanos: r.costNanos, requests: Number(r.requests) })),
      now,
    ),
    activeKeys: started.rows[0].activeKeys,
    hasRequests: started.rows[0].hasRequests,
  };
}

/** Nothing left to spend ("empty"), below the owner's threshold ("low"), or fine (null). */
export function balanceAlert(balanceNanos: bigint, thresholdNanos: bigint | null): BalanceAlert {
  if (balanceNanos <= 0n) return "empty";
  if (thresholdNanos !== null && balanceNanos < thresholdNanos) return "low";
  return null;
}

/** Today's and this month's totals and the 30-day series, from per-day rows (any order, gaps allowed). */
export function summarizeUsage(rows: DailyPoint[], now: Date): UsageSummary {
  const today = utcDay(now);
  const month = monthStart(today);
  const byDay = new Map(rows.map((r) => [r.day, r]));
  let spendMonthNanos = 0n;
  let requestsMonth = 0;
  for (const r of rows) {
    if (r.day >= month && r.day <= today) {
      spendMonthNanos += r.costNanos;
      requestsMonth += r.requests;
    }
  }
  const last30Days: DailyPoint[] = [];
  for (let i = SPEND_CHART_DAYS - 1; i >= 0; i--) {
    const day = addDays(today, -i);
    const r = byDay.get(day);
    last30Days.push({ day, costNanos: r?.costNanos ?? 0n, requests: r?.requests ?? 0 });
  }
  const t = byDay.get(today);
  return {
    spendTodayNanos: t?.costNanos ?? 0n,
    spendMonthNanos,
    requestsToday: t?.requests ?? 0,
    requestsMonth,
    last30Days,
  };
}

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return utcDay(d);
}
