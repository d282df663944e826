import { getPool } from "@/lib/db/pool";
import { billingConfig } from "./config";
import { sweepOrphanedHolds } from "./sweeper";

/** Every instance sweeps periodically; one at a time (sweeper.ts: an advisory lock), each hold once. */
export function startHoldSweeper(): () => void {
  const { TOKENFLOW_HOLD_TTL_MS, TOKENFLOW_SWEEP_INTERVAL_MS } = billingConfig();
  const sweep = async () => {
    try {
      const released = await sweepOrphanedHolds(getPool(), TOKENFLOW_HOLD_TTL_MS);
      if (released > 0) console.warn(`[billing] released ${released} orphaned hold(s)`);
    } catch (err) {
      console.error("[billing] hold sweep failed:", (err as Error).message);
    }
  };
  const first = setTimeout(sweep, 1_000).unref();
  const every = setInterval(sweep, TOKENFLOW_SWEEP_INTERVAL_MS).unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
