import { NANOS_PER_USD } from "@/lib/billing/money";

// Running totals of the gateway's receipts, per label set, kept as plain numbers and integer nanos.
// The hot path adds to them with one map lookup; the Prometheus counters are filled from them at
// scrape time (registry.ts), so money never passes through a float until it is exported.

/** What one receipt (or one refusal) adds to the totals: the RequestLog row's own figures. */
export interface RequestSample {
  surface: string;
  status: number;
  /** The catalog model that answered (admin-defined, bounded); null for a request refused before routing. */
  model: string | null;
  /** The channel's id (admin-defined, bounded); null when no channel was involved. */
  channel: string | null;
  requestCount: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  outputTokens: number;
  costNanos: bigint;
}

/** The label value of an absent model or channel (an empty label would read as "no label"). */
export const NONE = "none";

export interface RequestSeries {
  surface: string;
  status: string;
  model: string;
  channel: string;
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  outputTokens: number;
  costNanos: bigint;
}

export interface OverageSeries {
  model: string;
  channel: string;
  count: number;
  nanos: bigint;
}

export class RequestTotals {
  private readonly series = new Map<string, RequestSeries>();
  private readonly overageSeries = new Map<string, OverageSeries>();

  add(sample: RequestSample): void {
    const model = sample.model ?? NONE;
    const channel = sample.channel ?? NONE;
    // A separator that cannot occur in a model id, a channel id or a surface name.
    const key = `${sample.surface}\n${sample.status}\n${model}\n${channel}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        surface: sample.surface,
        status: String(sample.status),
        model,
        channel,
        requests: 0,
        inputTokens: 0,
        cachedInputTokens: 0,
        cacheWriteInputTokens: 0,
        outputTokens: 0,
        costNanos: 0n,
      };
      this.series.set(key, series);
    }
    series.requests += sample.requestCount;
    series.inputTokens += sample.inputTokens;
    series.cachedInputTokens += sample.cachedInputTokens;
    series.cacheWriteInputTokens += sample.cacheWriteInputTokens;
    series.outputTokens += sample.outputTokens;
    series.costNanos += sample.costNanos;
  }

  /** A request charged above its hold: how often, and by how much. */
  addOverage(model: string | null, channel: string | null, nanos: bigint): void {
    const key = `${model ?? NONE}\n${channel ?? NONE}`;
    let series = this.overageSeries.get(key);
    if (!series) {
      series = { model: model ?? NONE, channel: channel ?? NONE, count: 0, nanos: 0n };
      this.overageSeries.set(key, series);
    }
    series.count += 1;
    series.nanos += nanos;
  }

  requests(): Iterable<RequestSeries> {
    return this.series.values();
  }

  overages(): Iterable<OverageSeries> {
    return this.overageSeries.values();
  }
}

/**
 * Nanos as a USD number for export only. Whole dollars and the nano fraction are converted apart,
 * so the result is the nearest double to the exact amount even past 2^53 nanos (about $9M).
 */
export function nanosToUsdNumber(nanos: bigint): number {
  return Number(nanos / NANOS_PER_USD) + Number(nanos % NANOS_PER_USD) / 1e9;
}
