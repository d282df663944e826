import { isDatabaseUnavailable } from "@/lib/db/errors";
import {
  DatabaseUnavailableError,
  hotPathDb,
  isDatabaseDown,
  reportDatabaseOutage,
  type Queryable,
} from "@/lib/db/hot-path";
import { Coalescer } from "./coalescer";
import {
  admitHold,
  admitHolds,
  settleHold,
  settleHolds,
  type AdmitResult,
  type HoldRequest,
  type Settlement,
} from "./holds";

// The gateway's admissions and settlements, batched per organization (issue 13). A hot
// organization's balance row takes one commit at a time, so billing one request per commit capped
// it at ~300 requests/s. Here each organization has at most one admission and one settlement
// statement in flight per instance; whatever queued meanwhile goes in the next one, a single
// statement and commit for the whole batch (tf_admit_many / tf_settle_many). A lone request goes
// alone and at once, through the single-item functions.
//
// Failure handling is the single call's: when the database is unavailable every caller in the
// batch gets that error (admission answers 503, settlement is journaled and replayed); any other
// error of a batch retries its items one by one, so one bad item cannot fail the others.

export interface BillingBatches {
  admit(hold: HoldRequest): Promise<AdmitResult>;
  settle(settlement: Settlement & { organizationId: string }): Promise<bigint | null>;
  stats(): {
    admissions: Coalescer<HoldRequest, AdmitResult>["stats"];
    settlements: Coalescer<Settlement, bigint | null>["stats"];
  };
}

export function billingBatches(
  db: Queryable,
  options: { maxBatch?: number; onOutage?: (err: unknown) => void; isDown?: () => boolean } = {},
): BillingBatches {
  const common = {
    failsAll: isDatabaseUnavailable,
    // A call that failed with others queued behind it failed for all of them: as conclusive an
    // outage as that many timeouts (the hot path's gate then fails fast instead of letting each
    // next call wait for its own timeout).
    onOutage: (err: unknown, waiting: number) => {
      if (waiting > 0) options.onOutage?.(err);
    },
    // While the database is down the call in flight is the gate's probe: do not queue behind it.
    failFast: () => (options.isDown?.() ? new DatabaseUnavailableError() : undefined),
    maxBatch: options.maxBatch ?? 256,
  };
  const admissions = new Coalescer<HoldRequest, AdmitResult>({
    one: (_org, hold) => admitHold(db, hold),
    many: (org, holds) => admitHolds(db, org, holds),
    ...common,
  });
  const settlements = new Coalescer<Settlement, bigint | null>({
    one: (_org, s) => settleHold(db, s.requestId, s.costNanos, s.log, s.logJson),
    many: (org, batch) => settleHolds(db, org, batch),
    ...common,
  });
  return {
    admit: (hold) => admissions.submit(hold.organizationId, hold),
    settle: ({ organizationId, ...settlement }) => settlements.submit(organizationId, settlement),
    stats: () => ({ admissions: admissions.stats, settlements: settlements.stats }),
  };
}

let hotPath: BillingBatches | undefined;

/** The /v1 hot path's batches, over its database gate. */
export function hotPathBilling(): BillingBatches {
  return (hotPath ??= billingBatches(hotPathDb, { onOutage: reportDatabaseOutage, isDown: isDatabaseDown }));
}
