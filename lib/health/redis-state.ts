import type Redis from "ioredis";
import { FallbackRateLimiter, getRateLimiter, RedisRateLimiter } from "@/lib/ratelimit";

// Redis is optional (limits fall back to memory per instance without it), so its state is reported
// by /readyz and /metrics but never makes an instance unready. The rate limiter's connection is the
// one that matters: it is what makes limits shared between instances.

export type RedisState = "connected" | "unavailable" | "not_configured";

const PING_TIMEOUT_MS = 500;

/** The rate limiter's Redis client, or null when REDIS_URL is not set. */
export function rateLimiterRedis(): Redis | null {
  if (!process.env.REDIS_URL) return null;
  const limiter = getRateLimiter();
  const primary = limiter instanceof FallbackRateLimiter ? limiter.primary : limiter;
  return primary instanceof RedisRateLimiter ? primary.client : null;
}

/** Without I/O: is the connection ready right now (for /metrics). */
export function redisStateNow(): RedisState {
  const client = rateLimiterRedis();
  if (!client) return "not_configured";
  return client.status === "ready" ? "connected" : "unavailable";
}

/** With a PING bounded in time (for /readyz): a connection that is "ready" but hangs is unavailable. */
export async function probeRedis(): Promise<RedisState> {
  const client = rateLimiterRedis();
  if (!client) return "not_configured";
  if (client.status === "end") return "unavailable";
  let timer: NodeJS.Timeout | undefined;
  let onReady: (() => void) | undefined;
  try {
    const answer = await Promise.race([
      (async () => {
        // A connection still being made (the first one, or a reconnection) gets the same bound.
        if (client.status !== "ready") await new Promise<void>((resolve) => client.once("ready", (onReady = resolve)));
        return client.ping();
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), PING_TIMEOUT_MS);
      }),
    ]);
    return answer === "PONG" ? "connected" : "unavailable";
  } catch {
    return "unavailable";
  } finally {
    clearTimeout(timer);
    if (onReady) client.off("ready", onReady);
  }
}
