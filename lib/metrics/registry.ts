import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { nanosToUsdNumber, RequestTotals, type RequestSample } from "./request-totals";

// TokenFlow's Prometheus metrics: one registry per process, on globalThis. It must be one: Next.js
// bundles its route handlers (the Stripe webhook) with their own copies of our modules, separate
// from the ones the server process (scripts/server.ts) loads, and a registry created in each would
// be two registries, one of them never scraped. Whoever asks first creates it; everyone else finds
// it under the same symbol and calls the same metric objects.
//
// Metrics are off unless TOKENFLOW_METRICS_TOKEN is set: then getMetrics() is null, every hook is
// a no-op and /metrics answers 404. Labels are bounded by the admin's configuration (surface, HTTP
// status, catalog model id, channel id, Stripe event type from a fixed list); never a key, an
// organization or anything the client chose.

export const METRICS_TOKEN_ENV = "TOKENFLOW_METRICS_TOKEN";

const LATENCY_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30];

export interface TokenflowMetrics {
  registry: Registry;
  totals: RequestTotals;
  requestDuration: Histogram<"surface" | "model" | "stream">;
  ttft: Histogram<"surface" | "model">;
  upstreamErrors: Counter<"channel" | "kind">;
  admissionRetries: Counter<"result">;
  settlementsUnmatched: Counter;
  circuitState: Gauge<"channel">;
  channelInfo: Gauge<"channel" | "name" | "provider">;
  holdsInFlight: Gauge;
  holdsOpen: Gauge;
  holdsPooled: Gauge;
  holdPoolTakes: Counter<"result">;
  stripeEvents: Counter<"type" | "result">;
  dbPool: Gauge<"state">;
  dbAvailable: Gauge;
  redisConfigured: Gauge;
  redisUp: Gauge;
}

const KEY = Symbol.for("tokenflow.metrics");
type WithMetrics = typeof globalThis & { [KEY]?: TokenflowMetrics | null };

/** The bearer token that protects /metrics; null (metrics off) when unset or blank. */
export function metricsToken(): string | null {
  const token = process.env[METRICS_TOKEN_ENV]?.trim();
  return token ? token : null;
}

/** This process's metrics, or null when metrics are off. Cheap: call it on the hot path. */
export function getMetrics(): TokenflowMetrics | null {
  const g = globalThis as WithMetrics;
  if (g[KEY] === undefined) g[KEY] = metricsToken() ? createMetrics() : null;
  return g[KEY];
}

/** Adds one receipt (or one refusal) to the request, token and cost counters and the histograms. */
export function recordRequest(sample: RequestSample & { isStream: boolean; latencyMs: number; ttftMs: number | null }) {
  const metrics = getMetrics();
  if (!metrics) return;
  metrics.totals.add(sample);
  const model = sample.model ?? "none";
  metrics.requestDuration.observe(
    { surface: sample.surface, model, stream: sample.isStream ? "true" : "false" },
    sample.latencyMs / 1000,
  );
  if (sample.ttftMs !== null) metrics.ttft.observe({ surface: sample.surface, model }, sample.ttftMs / 1000);
}

/**
 * A fresh registry with every TokenFlow metric and prom-client's default process metrics. Exported
 * for tests (the dashboard test lists the names); the process uses getMetrics().
 */
export function createMetrics(): TokenflowMetrics {
  const registry = new Registry();
  const registers = [registry];
  const totals = new RequestTotals();
  collectDefaultMetrics({ register: registry });

  // The counters below are views of `totals`, refilled on each scrape (see request-totals.ts).
  new Counter({
    name: "tokenflow_requests_total",
    help: "Requests with a receipt, by surface, HTTP status, model that answered and channel (as the RequestLog counts them).",
    labelNames: ["surface", "status", "model", "channel"],
    registers,
    collect() {
      this.reset();
      for (const s of totals.requests()) {
        this.inc({ surface: s.surface, status: s.status, model: s.model, channel: s.channel }, s.requests);
      }
    },
  });
  new Counter({
    name: "tokenflow_tokens_total",
    help: "Tokens billed, by model, channel and type (input = uncached input, cached_input, cache_write_input, output).",
    labelNames: ["model", "channel", "type"],
    registers,
    collect() {
      this.reset();
      for (const s of totals.requests()) {
        const labels = { model: s.model, channel: s.channel };
        this.inc({ ...labels, type: "input" }, s.inputTokens);
        this.inc({ ...labels, type: "cached_input" }, s.cachedInputTokens);
        this.inc({ ...labels, type: "cache_write_input" }, s.cacheWriteInputTokens);
        this.inc({ ...labels, type: "output" }, s.outputTokens);
      }
    },
  });
  new Counter({
    name: "tokenflow_cost_usd_total",
    help: "Cost charged in USD, by model and channel (summed in integer nano-USD, divided only here).",
    labelNames: ["model", "channel"],
    registers,
    collect() {
      this.reset();
      const byLabels = new Map<string, { model: string; channel: string; nanos: bigint }>();
      for (const s of totals.requests()) {
        const key = `${s.model}\n${s.channel}`;
        const entry = byLabels.get(key) ?? { model: s.model, channel: s.channel, nanos: 0n };
        entry.nanos += s.costNanos;
        byLabels.set(key, entry);
      }
      for (const { model, channel, nanos } of byLabels.values()) this.inc({ model, channel }, nanosToUsdNumber(nanos));
    },
  });
  new Counter({
    name: "tokenflow_overages_total",
    help: "Requests charged above their hold (an upstream billing past the output cap we sent).",
    labelNames: ["model", "channel"],
    registers,
    collect() {
      this.reset();
      for (const o of totals.overages()) this.inc({ model: o.model, channel: o.channel }, o.count);
    },
  });
  new Counter({
    name: "tokenflow_overage_usd_total",
    help: "USD charged above the holds of those requests (integer nano-USD until export).",
    labelNames: ["model", "channel"],
    registers,
    collect() {
      this.reset();
      for (const o of totals.overages()) this.inc({ model: o.model, channel: o.channel }, nanosToUsdNumber(o.nanos));
    },
  });

  return {
    registry,
    totals,
    requestDuration: new Histogram({
      name: "tokenflow_request_duration_seconds",
      help: "Time from the request's arrival to its settlement (a stream: to its end), by surface, model and streaming.",
      labelNames: ["surface", "model", "stream"],
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    ttft: new Histogram({
      name: "tokenflow_ttft_seconds",
      help: "Time to the first token of streamed answers, by surface and model.",
      labelNames: ["surface", "model"],
      buckets: TTFT_BUCKETS_S,
      registers,
    }),
    upstreamErrors: new Counter({
      name: "tokenflow_upstream_errors_total",
      help: "Failed upstream attempts, by channel and kind (transient, auth, request, timeout).",
      labelNames: ["channel", "kind"],
      registers,
    }),
    admissionRetries: new Counter({
      name: "tokenflow_admission_retries_total",
      help: "Admissions refused for money while this instance still had settlements of the organization to land, asked again once they had, by the second answer (ok, or the refusal).",
      labelNames: ["result"],
      registers,
    }),
    settlementsUnmatched: new Counter({
      name: "tokenflow_settlements_unmatched_total",
      help: "Settlements of this instance's own answered requests that found no open hold in the database (its admission lost, or the hold settled elsewhere): nothing was charged and no receipt written. Should stay 0.",
      registers,
    }),
    circuitState: new Gauge({
      name: "tokenflow_circuit_state",
      help: "Circuit breaker of each enabled channel on this instance: 0 closed, 1 half-open, 2 open.",
      labelNames: ["channel"],
      registers,
    }),
    channelInfo: new Gauge({
      name: "tokenflow_channel_info",
      help: "Always 1: the name and provider of each enabled channel id (join on the channel label).",
      labelNames: ["channel", "name", "provider"],
      registers,
    }),
    holdsInFlight: new Gauge({
      name: "tokenflow_holds_in_flight",
      help: "Requests of this instance holding money: admitted and not yet settled.",
      registers,
    }),
    holdsOpen: new Gauge({
      name: "tokenflow_holds_open",
      help: "Holds not yet settled or released in the database, all instances together (read at scrape).",
      registers,
    }),
    holdsPooled: new Gauge({
      name: "tokenflow_holds_pooled",
      help: "Holds this instance admitted ahead for busy keys and no request has taken yet (they count as held money; lib/billing/hold-pool.ts).",
      registers,
    }),
    holdPoolTakes: new Counter({
      name: "tokenflow_hold_pool_takes_total",
      help: "Requests of busy keys that took a pre-admitted hold (taken) or found none that fit and were admitted as usual (missed).",
      labelNames: ["result"],
      registers,
    }),
    stripeEvents: new Counter({
      name: "tokenflow_stripe_events_total",
      help: "Stripe webhook events processed by this instance, by event type and result.",
      labelNames: ["type", "result"],
      registers,
    }),
    dbPool: new Gauge({
      name: "tokenflow_db_pool_connections",
      help: "The hot-path Postgres pool: total and idle connections, and calls waiting for one.",
      labelNames: ["state"],
      registers,
    }),
    dbAvailable: new Gauge({
      name: "tokenflow_db_available",
      help: "1 while the hot path considers Postgres reachable, 0 while it fails fast (an outage).",
      registers,
    }),
    redisConfigured: new Gauge({
      name: "tokenflow_redis_configured",
      help: "1 when REDIS_URL is set (limits and cache invalidation shared through Redis).",
      registers,
    }),
    redisUp: new Gauge({
      name: "tokenflow_redis_up",
      help: "1 while the rate limiter's Redis connection is ready, 0 otherwise (also 0 when not configured).",
      registers,
    }),
  };
}
