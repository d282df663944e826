// Rate limiting for the gateway: requests/tokens per window (all-or-nothing over several checks)
// and concurrency slots. Redis (shared by all instances) when REDIS_URL is set, else memory; a
// Redis that errors or hangs falls back to memory per call, fast. Algorithm: see meter.ts.

import { createRedisClient } from "./client";
import { FallbackRateLimiter, type FallbackOptions } from "./fallback";
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

export type ClosableRateLimiter = RateLimiter & { close?(): Promise<void> };

export function createRateLimiter(options: CreateRateLimiterOptions = {}): ClosableRateLimiter {
  const url = "redisUrl" in options ? options.redisUrl : process.env.REDIS_URL;
  if (!url) return new MemoryRateLimiter();
  const redis = new RedisRateLimiter(createRedisClient(url, { log: options.log }), { prefix: options.prefix });
  return new FallbackRateLimiter(redis, new MemoryRateLimiter(), options);
}

// On globalThis so that dev-mode module reloading keeps one limiter (and one Redis connection).
const SINGLETON = Symbol.for("tokenflow.ratelimit.singleton");
type WithSingleton = typeof globalThis & { [SINGLETON]?: ClosableRateLimiter };

/** The process-wide limiter, created on first use from REDIS_URL. */
export function getRateLimiter(): RateLimiter {
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
