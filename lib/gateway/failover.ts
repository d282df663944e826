import { getPool } from "@/lib/db/pool";
import { countUpstreamError } from "@/lib/metrics/hooks";
import { ServerShutdown } from "@/lib/server/lifecycle";
import type { CatalogChannel, CatalogModel } from "./catalog";
import { orderChannels } from "./channel-selection";
import { CircuitBreaker, type CircuitSnapshot } from "./circuit-breaker";
import { gatewayConfig } from "./config";
import { GatewayError } from "./errors";
import { recordModelOutcome } from "./model-health";
import { failureFromError, UpstreamFailure } from "./upstream-failure";
import { logger } from "@/lib/log";

const log = logger("gateway");

// Tries channels in order until one answers, before anything was sent to the client. What moves on
// to the next channel, what is answered at once and what counts against a channel's health is
// decided by the failure's kind (upstream-failure.ts). Errors of our own code are not failures of
// the channel: they neither fail over nor touch its breaker.

export { failureFromStatus, UpstreamFailure } from "./upstream-failure";

/** The client went away before the answer started. */
export class ClientClosedError extends Error {
  constructor() {
    super("client closed the request");
  }
}

const globalForBreaker = globalThis as unknown as { tokenflowBreaker?: CircuitBreaker };
export function breaker(): CircuitBreaker {
  const config = gatewayConfig();
  globalForBreaker.tokenflowBreaker ??= new CircuitBreaker({
    threshold: config.TOKENFLOW_BREAKER_THRESHOLD,
    cooldownMs: config.TOKENFLOW_BREAKER_COOLDOWN_MS,
    authThreshold: config.TOKENFLOW_BREAKER_AUTH_THRESHOLD,
    authCooldownMs: config.TOKENFLOW_BREAKER_AUTH_COOLDOWN_MS,
  });
  return globalForBreaker.tokenflowBreaker;
}

/**
 * The admin console's view of this instance's breaker for some channels, without creating it or
 * changing anything (Next's pages run in the same process as the gateway, hence globalThis).
 */
export function readCircuitStates(channelIds: readonly string[]): Map<string, CircuitSnapshot> {
  const current = globalForBreaker.tokenflowBreaker;
  return new Map(
    channelIds.map((id) => [
      id,
      current?.snapshot(id) ?? {
        state: "closed",
        failures: 0,
        authFailures: 0,
        reason: null,
        openedAt: null,
        probeAt: null,
      },
    ]),
  );
}

// The channel whose failure ended a request that no channel answered, so the receipt names it and
// the channel's health counts it (kept beside the error, not in it: the error goes to the client).
const failedChannels = new WeakMap<object, string>();

/** The channel that failed last when withFailover gave up, if the failure was the channel's answer. */
export function failedChannelOf(error: unknown): string | null {
  return typeof error === "object" && error !== null ? (failedChannels.get(error) ?? null) : null;
}

/** A model and the channels that serve it; several for `model: "auto"` (fallback models, in order). */
export interface FailoverTarget {
  model: CatalogModel;
  channels: CatalogChannel[];
}

export interface FailoverResult<T> {
  value: T;
  /** The model that answered (for `auto`, possibly a fallback). */
  model: CatalogModel;
  channel: CatalogChannel;
  attempts: number;
  controller: AbortController; // aborts the chosen upstream call (client disconnect)
}

export interface AttemptContext {
  signal: AbortSignal;
  /** Milliseconds left of the request's deadline when this attempt started. */
  remainingMs: number;
}

/**
 * Runs `attempt` on each target model's channels in priority/weight order (all of the first model's,
 * then the next model's …), at most 1 + maxRetries times and within the request deadline. `attempt`
 * resolves once the upstream answer has started (first stream chunk or the full body), so failing
 * over never sends anything twice to the client.
 */
export async function withFailover<T>(
  targets: FailoverTarget[],
  clientSignal: AbortSignal,
  attempt: (channel: CatalogChannel, model: CatalogModel, context: AttemptContext) => Promise<T>,
): Promise<FailoverResult<T>> {
  const config = gatewayConfig();
  const health = breaker();
  const deadline = Date.now() + config.TOKENFLOW_REQUEST_DEADLINE_MS;
  const ordered = targets
    .flatMap(({ model, channels }) =>
      orderChannels(channels, (c) => health.isAvailable(c.id)).map((channel) => ({ model, channel })),
    )
    .slice(0, config.TOKENFLOW_MAX_RETRIES + 1);
  let lastFailure: UpstreamFailure | undefined;
  let lastFailedChannel: CatalogChannel | undefined;
  let attempts = 0;

  for (const { model, channel } of ordered) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    if (clientSignal.aborted) throw clientGone(clientSignal);
    attempts++;
    health.onAttempt(channel.id);
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(clientSignal.reason ?? new ClientClosedError());
    clientSignal.addEventListener("abort", onClientAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(new UpstreamFailure("request deadline exceeded", "timeout")),
      remaining,
    );
    const startedAt = performance.now();
    try {
      const value = await attempt(channel, model, { signal: controller.signal, remainingMs: remaining });
      clearTimeout(timer);
      health.onSuccess(channel.id);
      recordModelOutcome(model.id, { ok: true, latencyMs: performance.now() - startedAt });
      // The client listener stays: a disconnect while streaming must still abort the upstream.
      return { value, model, channel, attempts, controller };
    } catch (err) {
      clearTimeout(timer);
      clientSignal.removeEventListener("abort", onClientAbort);
      if (clientSignal.aborted) {
        health.onAbandon(channel.id);
        throw clientGone(clientSignal);
      }
      const failure = failureFromError(err, controller.signal);
      if (!failure) {
        health.onAbandon(channel.id);
        throw err; // ours, not the channel's: an internal error, and no other channel would do better
      }
      lastFailure = failure;
      lastFailedChannel = channel;
      recordFailure(channel, failure);
      if (failure.kind !== "request") recordModelOutcome(model.id, { ok: false });
      if (!failure.retryable) break;
    }
  }
  const error = finalError(lastFailure);
  if (lastFailedChannel) failedChannels.set(error, lastFailedChannel.id);
  throw error;
}

function recordFailure(channel: CatalogChannel, failure: UpstreamFailure) {
  countUpstreamError(channel.id, failure.kind);
  const health = breaker();
  if (failure.kind === "request") {
    health.onSuccess(channel.id); // it answered: the request was at fault, not the channel
    return;
  }
  const opened = health.onFailure(channel.id, failure.kind === "auth" ? "auth" : "transient");
  if (opened) noteChannelOutOfRotation(channel, failure);
}

/** What the client is told when no channel answered. Never the upstream's own words. */
function finalError(failure: UpstreamFailure | undefined): GatewayError {
  if (!failure) {
    return new GatewayError(
      "service_unavailable",
      "No upstream channel is available for this model right now. Please try again later.",
    );
  }
  if (failure.kind === "request" && failure.clientError) return failure.clientError;
  if (failure.kind === "timeout") {
    // The upstream may still be generating: asking the SDK not to retry avoids piling up generations.
    return new GatewayError("timeout", "The upstream model provider did not answer in time.", {
      headers: { "x-should-retry": "false" },
    });
  }
  return new GatewayError("upstream_error", "The upstream model provider failed to answer. Please try again.");
}

/** A shutdown cut is answered 503 (retry elsewhere); a client that left gets nothing. */
function clientGone(signal: AbortSignal): Error {
  if (signal.reason instanceof ServerShutdown) {
    return new GatewayError("service_unavailable", "The server is restarting. Please retry the request.", {
      code: "server_shutdown",
    });
  }
  return new ClientClosedError();
}

/** The channel left rotation on this instance: tell the admin (log and the channel's health fields). */
function noteChannelOutOfRotation(channel: CatalogChannel, failure: UpstreamFailure) {
  const config = gatewayConfig();
  const probeInS =
    (failure.kind === "auth" ? config.TOKENFLOW_BREAKER_AUTH_COOLDOWN_MS : config.TOKENFLOW_BREAKER_COOLDOWN_MS) / 1000;
  const reason = `${failure.message}; out of rotation, probed again in ${probeInS} s`;
  log.error(
    { channelId: channel.id, channel: channel.name, failure: failure.kind, reason: failure.message, probeInS },
    "channel out of rotation",
  );
  Promise.resolve()
    .then(() =>
      getPool().query(
        `UPDATE "Channel" SET "consecutiveFailures" = "consecutiveFailures" + 1, "lastError" = $2, "lastCheckedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
        [channel.id, reason],
      ),
    )
    .catch(() => undefined); // the admin's view of health is best effort; the breaker already acts
}
