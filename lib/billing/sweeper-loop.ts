import { getPool } from "@/lib/db/pool";
import { billingConfig } from "./config";
import { pruneResolvedHolds, sweepOrphanedHolds } from "./sweeper";
import { logger } from "@/lib/log";

const log = logger("billing");

const DAY_MS = 86_400_000;

/**
 * Every instance sweeps periodically: orphaned holds are released one sweeper at a time (sweeper.ts: an
 * advisory lock), each hold once; then resolved holds past the retention are deleted, so the table
 * holds the last weeks of requests rather than every request ever made.
 */
export function startHoldSweeper(): () => void {
  const { TOKENFLOW_HOLD_TTL_MS, TOKENFLOW_SWEEP_INTERVAL_MS, TOKENFLOW_HOLD_RETENTION_DAYS } = billingConfig();
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return; // a long prune must not overlap the next round
    sweeping = true;
    try {
      const released = await sweepOrphanedHolds(getPool(), TOKENFLOW_HOLD_TTL_MS);
      if (released > 0) log.warn({ released }, `released ${released} orphaned hold(s)`);
      const pruned = await pruneResolvedHolds(getPool(), TOKENFLOW_HOLD_RETENTION_DAYS * DAY_MS);
      if (pruned > 0) log.info({ pruned }, `deleted ${pruned} resolved hold(s) past the retention`);
    } catch (err) {
      log.error({ err }, "hold sweep failed");
    } finally {
      sweeping = false;
    }
  };
  const first = setTimeout(sweep, 1_000).unref();
  const every = setInterval(sweep, TOKENFLOW_SWEEP_INTERVAL_MS).unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
