import { getPool } from "@/lib/db/pool";
import { rangeDays } from "./analytics";
import { STUCK_AFTER_MINUTES } from "./payments";

// The admin console's front page: a handful of numbers, each leading to the section that explains
// it. Revenue is top-ups credited (ledger); spend is what requests were charged (the daily rollup,
// which settlement keeps with the ledger). Both over the last 30 UTC days, today included.

export interface AdminOverview {
  fromDay: string;
  revenueNanos: bigint;
  spendNanos: bigint;
  requests: bigint;
  organizations: bigint;
  users: bigint;
  channelsEnabled: bigint;
  /** Enabled, and its last check or request did not fail. */
  channelsHealthy: bigint;
  channelsTotal: bigint;
  stuckPayments: bigint;
  paymentsNeedingReview: bigint;
  flaggedOrganizations: bigint;
}

export async function getAdminOverview(now = new Date()): Promise<AdminOverview> {
  const { fromDay, toDay } = rangeDays(30, now);
  const { rows } = await getPool().query<Omit<AdminOverview, "fromDay">>(
    `SELECT
       (SELECT COALESCE(sum("amountNanos"), 0)::bigint FROM "LedgerEntry"
         WHERE kind = 'TOPUP' AND "createdAt" >= $1::date AND "createdAt" < $2::date + 1) AS "revenueNanos",
       (SELECT COALESCE(sum("costNanos"), 0)::bigint FROM "UsageDaily" WHERE day BETWEEN $1::date AND $2::date) AS "spendNanos",
       (SELECT COALESCE(sum(requests), 0)::bigint FROM "UsageDaily" WHERE day BETWEEN $1::date AND $2::date) AS requests,
       (SELECT count(*)::bigint FROM "Organization" WHERE "deletedAt" IS NULL) AS organizations,
       (SELECT count(*)::bigint FROM "User" WHERE "disabledAt" IS NULL) AS users,
       (SELECT count(*)::bigint FROM "Channel" WHERE status = 'ENABLED') AS "channelsEnabled",
       (SELECT count(*)::bigint FROM "Channel" WHERE status = 'ENABLED' AND "lastError" IS NULL) AS "channelsHealthy",
       (SELECT count(*)::bigint FROM "Channel") AS "channelsTotal",
       (SELECT count(*)::bigint FROM "Payment" WHERE status = 'PENDING'
         AND "createdAt" < (now() AT TIME ZONE 'UTC') - interval '${STUCK_AFTER_MINUTES} minutes') AS "stuckPayments",
       (SELECT count(*)::bigint FROM "Payment" WHERE status = 'NEEDS_REVIEW') AS "paymentsNeedingReview",
       (SELECT count(*)::bigint FROM "Organization" WHERE "billingReviewAt" IS NOT NULL) AS "flaggedOrganizations"`,
    [fromDay, toDay],
  );
  return { fromDay, ...rows[0] };
}
