import type { RequestLogRow } from "@/lib/billing/request-log";
import { getMetrics, recordRequest } from "./registry";

// The one-line calls the billing and gateway code makes. Each is a no-op while metrics are off, and
// otherwise a few additions and a histogram observation: nothing here waits or allocates much.

/** A receipt as the RequestLog stores it: the request counters then agree with the table. */
export function countReceipt(row: RequestLogRow): void {
  recordRequest({
    surface: row.endpoint,
    status: row.status,
    model: row.modelRouted,
    channel: row.channelId,
    requestCount: row.requestCount,
    inputTokens: row.inputTokens,
    cachedInputTokens: row.cachedInputTokens,
    cacheWriteInputTokens: row.cacheWriteInputTokens ?? 0,
    outputTokens: row.outputTokens,
    costNanos: row.costNanos,
    isStream: row.isStream,
    latencyMs: row.latencyMs,
    ttftMs: row.ttftMs,
  });
}

/** A settlement charged `overageNanos` above the request's hold. */
export function countOverage(model: string | null, channel: string | null, overageNanos: bigint): void {
  getMetrics()?.totals.addOverage(model, channel, overageNanos);
}

/** An admitted request now holds money (+1), or its settlement finished (-1). */
export function countHoldInFlight(delta: 1 | -1): void {
  getMetrics()?.holdsInFlight.inc(delta);
}

/** A failed upstream attempt (the circuit breaker counts it too, or clears it for a request error). */
export function countUpstreamError(channelId: string, kind: string): void {
  getMetrics()?.upstreamErrors.inc({ channel: channelId, kind });
}

/** An admission refused for money was asked again once this instance's settlements had landed. */
export function countAdmissionRetry(result: string): void {
  getMetrics()?.admissionRetries.inc({ result });
}

/** A live settlement found no open hold: nothing was charged (see Meter.doSettle). */
export function countUnmatchedSettlement(): void {
  getMetrics()?.settlementsUnmatched.inc();
}

/** A verified Stripe event was processed with `result` ("failed" when Stripe will redeliver it). */
export function countStripeEvent(type: string, result: string): void {
  getMetrics()?.stripeEvents.inc({ type, result });
}
