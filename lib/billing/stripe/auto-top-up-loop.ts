import { onAutoTopUpDue } from "@/lib/billing/auto-top-up-signal";
import { isTopUpConfigured } from "./config";
import { retryStuckAutoTopUps, runAutoTopUp } from "./auto-top-up";
import { logger } from "@/lib/log";

const log = logger("stripe");

// The server's side of auto top-up (every instance): it listens for admissions that left a balance
// below its threshold and runs the payment, and every TOKENFLOW_AUTO_TOP_UP_INTERVAL_MS retries
// auto top-ups left pending. Returns a function that stops both and waits for work in flight.

export function startAutoTopUps(
  intervalMs = Number(process.env.TOKENFLOW_AUTO_TOP_UP_INTERVAL_MS ?? 30_000),
): () => Promise<void> {
  if (!isTopUpConfigured()) return async () => undefined;
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const tracked = work
      .catch((err: Error) => log.error({ err }, "auto top-up failed"))
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  let stopped = false;
  onAutoTopUpDue((organizationId) => {
    if (!stopped) track(runAutoTopUp(organizationId));
  });
  let retrying = false;
  const every = setInterval(() => {
    if (retrying || stopped) return;
    retrying = true;
    track(retryStuckAutoTopUps().finally(() => (retrying = false)));
  }, intervalMs);
  every.unref();
  return async () => {
    stopped = true;
    onAutoTopUpDue(null);
    clearInterval(every);
    await Promise.allSettled([...inFlight]);
  };
}
