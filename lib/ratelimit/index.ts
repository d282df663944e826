// Rate limiting for the gateway: requests/tokens per window (all-or-nothing over several checks)
// and concurrency slots. Redis (shared by all instances) when REDIS_URL is set, else memory; a
// Redis that errors or hangs falls back to memory per call, fast, at this instance's share of each
// limit (fallback.ts). Algorithm: see meter.ts. The server connects at start (connectRateLimiter).

import type Redis from "ioredis";
import { createRedisClient } from "./client";
import { rateLimitConfig } from "./config";
import { FallbackRateLimiter, type FallbackOptions } from "./fallback";
import { InstanceRegistry } from "./instances";
import { MemoryRateLimiter } from "./memory-limiter";
import { RedisRateLimiter } from "./redis-limiter";
import type { RateLimiter } from "./types";

export type { ConcurrencyLease, LimitCheck, LimitDecision, RateLimiter } from "./types";
export { MemoryRateLimiter } from "./memory-limiter";
export { RedisRateLimiter } from "./redis-limiter";
export { FallbackRateLimiter } from "./fallback";
export { createRedisClient, redactUrl } from "./client";

export interface CreateRateLimiterOptions extends FallbackOptions {
  redisUrl?: string; // default: process.env.REDIS_URL; empty → memory only
  prefix?: string; // Redis key prefix, default "tf:rl:"
}

export type ClosableRateLimiter = RateLimiter & {
  close?(): Promise<void>;
  /** With Redis: its client and this instance's entry in the instance registry. */
  redis?: { client: Redis; registry: InstanceRegistry };
};

export function createRateLimiter(options: CreateRateLimiterOptions = {}): ClosableRateLimiter {
  const url = "redisUrl" in options ? options.redisUrl : process.env.REDIS_URL;
  if (!url) return new MemoryRateLimiter();
  const config = rateLimitConfig();
  const deadlineMs = options.deadlineMs ?? config.TOKENFLOW_REDIS_TIMEOUT_MS;
  const client = createRedisClient(url, {
    log: options.log,
    connectTimeoutMs: config.TOKENFLOW_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: 2 * deadlineMs, // a backstop only (client.ts)
  });
  const registry = new InstanceRegistry(client, {
    key: `${options.prefix ?? "tf:rl:"}instances`,
    intervalMs: config.TOKENFLOW_INSTANCE_HEARTBEAT_MS,
    configured: config.TOKENFLOW_INSTANCES,
    log: options.log,
  });
  const primary = new RedisRateLimiter(client, { prefix: options.prefix });
  const limiter: ClosableRateLimiter = new FallbackRateLimiter(primary, new MemoryRateLimiter(), {
    instances: () => registry.count(),
    ...options,
    deadlineMs,
  });
  limiter.redis = { client, registry };
  const close = limiter.close!.bind(limiter);
  limiter.close = async () => {
    await registry.stop();
    await close();
  };
  return limiter;
}

export type RedisState = "off" | "ready" | "unavailable";

/**
 * Server start: makes the process-wide limiter, waits up to TOKENFLOW_REDIS_STARTUP_WAIT_MS for its
 * Redis connection and announces this instance in the registry, so the first burst after start is
 * counted in Redis, exactly. A Redis that does not answer in time does not block the start: the
 * client keeps reconnecting in the background and the limits run on this instance's share meanwhile.
 */
export async function connectRateLimiter(
  waitMs = rateLimitConfig().TOKENFLOW_REDIS_STARTUP_WAIT_MS,
): Promise<RedisState> {
  const limiter = getRateLimiter() as ClosableRateLimiter;
  if (!limiter.redis) return "off";
  const { client, registry } = limiter.redis;
  if (client.status !== "ready") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        client.off("ready", done);
        resolve();
      }
      client.once("ready", done);
    });
  }
  await registry.start(); // also when not ready: its timer keeps announcing once Redis is back
  return redisState();
}

/** Whether the process-wide limiter shares limits through Redis right now (for health reports). */
export function redisState(): RedisState {
  const limiter = (globalThis as WithSingleton)[SINGLETON];
  if (!limiter) return process.env.REDIS_URL ? "unavailable" : "off";
  if (!limiter.redis) return "off";
  return limiter.redis.client.status === "ready" ? "ready" : "unavailable";
}

/** Instances the limits are shared between while Redis is unavailable (1 without Redis). */
export function liveInstances(): number {
  return (globalThis as WithSingleton)[SINGLETON]?.redis?.registry.count() ?? 1;
}

// On globalThis so that dev-mode module reloading keeps one limiter (and one Redis connection).
const SINGLETON = Symbol.for("tokenflow.ratelimit.singleton");
type WithSingleton = typeof globalThis & { [SINGLETON]?: ClosableRateLimiter };

/** The process-wide limiter, created on first use from REDIS_URL. */
export function getRateLimiter(): ClosableRateLimiter {
  const g = globalThis as WithSingleton;
  return (g[SINGLETON] ??= createRateLimiter());
}

/** Closes the process-wide limiter's Redis connection, if any (shutdown). */
export function closeRateLimiter(): Promise<void> {
  return resetRateLimiterForTests();
}

/** Tests only: forget (and close) the singleton so the next getRateLimiter() reads REDIS_URL again. */
export async function resetRateLimiterForTests(): Promise<void> {
  const g = globalThis as WithSingleton;
  const current = g[SINGLETON];
  delete g[SINGLETON];
  await current?.close?.();
}
