import { hotPathDb, isDatabaseDown } from "@/lib/db/hot-path";
import { isDatabaseUnavailable } from "@/lib/db/errors";
import { logger } from "@/lib/log";
import { billingConfig } from "./config";
import { hotPathBilling } from "./billing-batches";
import { HoldPools } from "./hold-pool";
import { releaseHold, type AdmitResult, type HoldRequest } from "./holds";
import { settlementJournal } from "./settlement-journal";

// The /v1 hot path's admissions: through the per-organization batches, with the pool of
// pre-admitted holds (hold-pool.ts) in front of them.

const log = logger("billing");

/**
 * One admission through the batches. If the database stopped answering after the statement was
 * sent, the hold may exist although the caller sees an error: the settlement journal releases it
 * once the database is back.
 */
export async function admitOnHotPath(hold: HoldRequest): Promise<AdmitResult> {
  try {
    return await hotPathBilling().admit(hold);
  } catch (err) {
    if (isDatabaseUnavailable(err) && mayHaveRun(err)) await journalRelease(hold.requestId);
    throw err;
  }
}

/** Errors after which the statement may have reached the server (not a refused or timed-out connect). */
function mayHaveRun(err: unknown): boolean {
  const message = (err as { message?: unknown }).message;
  const code = (err as { code?: unknown }).code;
  return !(
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    (typeof message === "string" && /timeout exceeded when trying to connect/i.test(message))
  );
}

function journalRelease(requestId: string): Promise<void> {
  return settlementJournal()
    .add({ kind: "release", requestId })
    .catch((err: Error) => log.error({ err, requestId }, "could not journal the release"));
}

/** A pooled hold nobody took goes back now, or through the journal when the database cannot take it. */
async function releasePooled(requestId: string): Promise<void> {
  if (!isDatabaseDown()) {
    try {
      await releaseHold(hotPathDb, requestId);
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) log.error({ err, requestId }, "could not release a pooled hold");
    }
  }
  await journalRelease(requestId);
}

let pools: HoldPools | undefined;

/** This instance's pre-admitted holds (closed from the start when TOKENFLOW_HOLD_POOL=off). */
export function hotPathHoldPools(): HoldPools {
  if (pools) return pools;
  const config = billingConfig();
  // A pooled hold is used well before the sweeper could take it for an orphan, even with a short TTL.
  pools = new HoldPools(
    { admit: admitOnHotPath, release: releasePooled },
    { maxAgeMs: Math.min(10_000, config.TOKENFLOW_HOLD_TTL_MS / 10) },
  );
  if (config.TOKENFLOW_HOLD_POOL === "off") void pools.close();
  return pools;
}
