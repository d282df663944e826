import { getPool } from "@/lib/db/pool";
import { invalidateCatalog, type CatalogChannel } from "./catalog";
import { orderChannels } from "./channel-selection";
import { CircuitBreaker } from "./circuit-breaker";
import { gatewayConfig } from "./config";
import { GatewayError } from "./errors";

// Tries channels in order until one answers, before anything was sent to the client:
// network errors, timeouts, 401/403 (channel credential), 404, 408, 409, 429 and 5xx move on to the
// next channel; a 400-class answer about the request itself goes back to the client at once.

/** A failed upstream attempt, classified. */
export class UpstreamFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly clientMessage?: string, // for 4xx about the request: the upstream's own words
    readonly isAuthFailure = false,
  ) {
    super(message);
  }
}

/** The client went away before the answer started. */
export class ClientClosedError extends Error {
  constructor() {
    super("client closed the request");
  }
}

const globalForBreaker = globalThis as unknown as { tokenflowBreaker?: CircuitBreaker };
export function breaker(): CircuitBreaker {
  const config = gatewayConfig();
  globalForBreaker.tokenflowBreaker ??= new CircuitBreaker(
    config.TOKENFLOW_BREAKER_THRESHOLD,
    config.TOKENFLOW_BREAKER_COOLDOWN_MS,
  );
  return globalForBreaker.tokenflowBreaker;
}

/** Maps an upstream HTTP error to a failure; the body is read only for the message of 4xx answers. */
export function failureFromStatus(status: number, bodyText: string): UpstreamFailure {
  if (status === 401 || status === 403)
    return new UpstreamFailure(`upstream rejected the channel credential (${status})`, true, status, undefined, true);
  if (status === 404 || status === 408 || status === 409 || status === 429 || status >= 500) {
    return new UpstreamFailure(`upstream answered ${status}`, true, status);
  }
  return new UpstreamFailure(`upstream answered ${status}`, false, status, upstreamErrorMessage(bodyText));
}

/** The upstream's error message, stripped of anything that could identify the upstream account. */
function upstreamErrorMessage(bodyText: string): string {
  let message = "The upstream provider rejected the request.";
  try {
    const parsed = JSON.parse(bodyText) as { error?: { message?: unknown } | string; message?: unknown };
    const candidate = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof candidate === "string" && candidate.trim()) message = candidate;
  } catch {
    /* not JSON: keep the generic message */
  }
  return message
    .replace(/https?:\/\/\S+/g, "[url]")
    .replace(/\b(sk|tf|key)-[A-Za-z0-9_-]{6,}/g, "[redacted]")
    .replace(/\borg-[A-Za-z0-9]{6,}/g, "[redacted]")
    .slice(0, 1000);
}

export interface FailoverResult<T> {
  value: T;
  channel: CatalogChannel;
  attempts: number;
  controller: AbortController; // aborts the chosen upstream call (client disconnect)
}

/**
 * Runs `attempt` on the model's channels in priority/weight order, at most 1 + maxRetries times and
 * within the request deadline. `attempt` resolves once the upstream answer has started (first
 * stream chunk or the full body), so failing over never sends anything twice to the client.
 */
export async function withFailover<T>(
  channels: CatalogChannel[],
  clientSignal: AbortSignal,
  attempt: (channel: CatalogChannel, signal: AbortSignal) => Promise<T>,
): Promise<FailoverResult<T>> {
  const config = gatewayConfig();
  const health = breaker();
  const deadline = Date.now() + config.TOKENFLOW_REQUEST_DEADLINE_MS;
  const ordered = orderChannels(channels, (c) => health.isAvailable(c.id)).slice(0, config.TOKENFLOW_MAX_RETRIES + 1);
  let lastFailure: UpstreamFailure | undefined;
  let attempts = 0;

  for (const channel of ordered) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    if (clientSignal.aborted) throw new ClientClosedError();
    attempts++;
    health.onAttempt(channel.id);
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(new ClientClosedError());
    clientSignal.addEventListener("abort", onClientAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(new UpstreamFailure("request deadline exceeded", false)),
      remaining,
    );
    try {
      const value = await attempt(channel, controller.signal);
      clearTimeout(timer);
      health.onSuccess(channel.id);
      // The client listener stays: a disconnect while streaming must still abort the upstream.
      return { value, channel, attempts, controller };
    } catch (err) {
      clearTimeout(timer);
      clientSignal.removeEventListener("abort", onClientAbort);
      if (clientSignal.aborted) {
        health.onAbandon(channel.id);
        throw new ClientClosedError();
      }
      const failure = classify(err, controller.signal);
      lastFailure = failure;
      if (failure.isAuthFailure) {
        await disableChannel(channel.id, failure.message);
      } else if (failure.retryable || failure.message === "request deadline exceeded") {
        if (health.onFailure(channel.id)) recordChannelHealth(channel.id, failure.message);
      } else {
        health.onSuccess(channel.id); // it answered: the request was at fault, not the channel
      }
      if (!failure.retryable) break;
    }
  }

  if (lastFailure && !lastFailure.retryable && lastFailure.clientMessage) {
    throw new GatewayError("invalid_request", lastFailure.clientMessage);
  }
  if (!lastFailure)
    throw new GatewayError(
      "service_unavailable",
      "No upstream channel is available for this model right now. Please try again later.",
    );
  throw new GatewayError("upstream_error", "The upstream model provider failed to answer. Please try again.");
}

function classify(err: unknown, signal: AbortSignal): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  if (signal.aborted && signal.reason instanceof UpstreamFailure) return signal.reason;
  const code = (err as { code?: string }).code ?? "";
  return new UpstreamFailure(`upstream connection failed${code ? ` (${code})` : ""}`, true);
}

/** An upstream 401/403 means the credential is bad: take the channel out until an admin fixes it. */
async function disableChannel(channelId: string, reason: string) {
  try {
    await getPool().query(
      `UPDATE "Channel" SET status = 'AUTH_FAILED', "disabledReason" = $2, "lastError" = $2, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1 AND status = 'ENABLED'`,
      [channelId, reason],
    );
  } catch (err) {
    console.error("[gateway] could not disable channel", channelId, (err as Error).message);
  }
  invalidateCatalog();
}

function recordChannelHealth(channelId: string, error: string) {
  getPool()
    .query(
      `UPDATE "Channel" SET "consecutiveFailures" = "consecutiveFailures" + 1, "lastError" = $2, "lastCheckedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
      [channelId, error],
    )
    .catch(() => undefined);
}
