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
  billHolds,
  settleHold,
  settleHolds,
  type AdmitResult,
  type HoldRequest,
  type Settlement,
} from "./holds";

// The gateway's admissions and settlements, batched per organization (issue 13). A hot
// organization's balance row takes one commit at a time, so billing one request per commit capped
// it at ~300 requests/s. Here each organization has at most one billing statement in flight per
// instance; whatever queued meanwhile, admissions and settlements alike, goes in the next one: a
// single statement and commit for the whole batch (tf_admit_many, tf_settle_many, or tf_bill_many
// when it holds both: settlements first, so the admissions see the holds they release). A lone
// request goes alone and at once, through the single-item functions.
//
// Admissions and settlements share the one queue because both lock the organization's row first:
// two statements in flight for one organization only took turns on that row, each with its own
// commit, and an admission waited for a settlement's whole transaction before starting its own.
//
// Failure handling is the single call's: when the database is unavailable every caller in the
// batch gets that error (admission answers 503, settlement is journaled and replayed); any other
// error of a batch retries its items one by one, so one bad item cannot fail the others.

export interface BatchStats {
  /** Statements of more than one item (of either kind) that carried this kind, and how many of it. */
  batches: number;
  batchedItems: number;
  /** Items sent alone (a lone request, or an item retried alone after its batch failed). */
  singles: number;
}

export interface BillingBatches {
  admit(hold: HoldRequest): Promise<AdmitResult>;
  settle(settlement: Settlement & { organizationId: string }): Promise<bigint | null>;
  stats(): { admissions: BatchStats; settlements: BatchStats; mixed: number };
}

type Item = { hold: HoldRequest; settlement?: undefined } | { settlement: Settlement; hold?: undefined };
type Result = AdmitResult | bigint | null;

export function billingBatches(
  db: Queryable,
  options: { maxBatch?: number; onOutage?: (err: unknown) => void; isDown?: () => boolean } = {},
): BillingBatches {
  const stats = {
    admissions: { batches: 0, batchedItems: 0, singles: 0 },
    settlements: { batches: 0, batchedItems: 0, singles: 0 },
    /** Statements that carried both. */
    mixed: 0,
  };
  const count = (s: BatchStats, n: number, batched: boolean) => {
    if (n === 0) return;
    if (batched) {
      s.batches++;
      s.batchedItems += n;
    } else s.singles++;
  };
  const one = (item: Item): Promise<Result> =>
    item.hold
      ? admitHold(db, item.hold)
      : settleHold(
          db,
          item.settlement.requestId,
          item.settlement.costNanos,
          item.settlement.log,
          item.settlement.logJson,
        );
  const many = async (org: string, items: Item[]): Promise<Result[]> => {
    const holds = items.flatMap((i) => (i.hold ? [i.hold] : []));
    const settlements = items.flatMap((i) => (i.settlement ? [i.settlement] : []));
    count(stats.admissions, holds.length, true);
    count(stats.settlements, settlements.length, true);
    if (settlements.length === 0) return admitHolds(db, org, holds);
    if (holds.length === 0) return settleHolds(db, org, settlements);
    stats.mixed++;
    const { charges, admissions } = await billHolds(db, org, settlements, holds);
    let s = 0;
    let a = 0;
    return items.map((i) => (i.hold ? admissions[a++] : charges[s++]));
  };
  const batches = new Coalescer<Item, Result>({
    one: (_org, item) => {
      count(item.hold ? stats.admissions : stats.settlements, 1, false);
      return one(item);
    },
    many,
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
  });
  return {
    admit: (hold) => batches.submit(hold.organizationId, { hold }) as Promise<AdmitResult>,
    settle: ({ organizationId, ...settlement }) =>
      batches.submit(organizationId, { settlement }) as Promise<bigint | null>,
    stats: () => stats,
  };
}

let hotPath: BillingBatches | undefined;

/** The /v1 hot path's batches, over its database gate. */
export function hotPathBilling(): BillingBatches {
  return (hotPath ??= billingBatches(hotPathDb, { onOutage: reportDatabaseOutage, isDown: isDatabaseDown }));
}
