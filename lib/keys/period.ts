import type { SpendPeriod } from "./input";

// The start of the period a spend cap counts in: the same rule as the database's tf_period_start
// (migration 20261203000000), which admission and settlement use. Days, ISO weeks (Monday) and
// months begin at 00:00 UTC; a TOTAL cap has no period.
export function periodStart(period: SpendPeriod, now: Date): Date | null {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (period) {
    case "DAILY":
      return new Date(Date.UTC(y, m, d));
    case "WEEKLY": {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      return new Date(Date.UTC(y, m, d - sinceMonday));
    }
    case "MONTHLY":
      return new Date(Date.UTC(y, m, 1));
    default:
      return null;
  }
}

/**
 * What counts against the cap right now: all-time spend for TOTAL; for a periodic cap the spend of
 * the current period, which is zero when the key's last recorded period has ended.
 */
export function currentPeriodSpentNanos(
  key: { spendLimitPeriod: SpendPeriod; spentNanos: bigint; periodSpentNanos: bigint; periodStartsAt: Date | null },
  now: Date,
): bigint {
  const start = periodStart(key.spendLimitPeriod, now);
  if (start === null) return key.spentNanos;
  return key.periodStartsAt?.getTime() === start.getTime() ? key.periodSpentNanos : 0n;
}
