import type Redis from "ioredis";
import { createRedisClient } from "@/lib/ratelimit";

// Cross-instance cache invalidation (DESIGN §1): each instance caches keys, models and channels for
// a couple of seconds; an admin write clears its own instance at once and, through Redis pub/sub,
// every other instance too, so a revoked key stops working everywhere immediately. Without Redis
// (or while it is down) the cache TTL still bounds the staleness.

export type Invalidation = { kind: "catalog" } | { kind: "key"; keyHash: string } | { kind: "keys" };

const CHANNEL = "tokenflow:invalidate";
type Handler = (message: Invalidation) => void;

const state = globalThis as unknown as {
  tokenflowInvalidation?: { publisher: Redis | null; subscriber: Redis | null; handlers: Set<Handler> };
};

function hub() {
  if (!state.tokenflowInvalidation) {
    const url = process.env.REDIS_URL;
    const publisher = url ? createRedisClient(url) : null;
    const subscriber = url ? createRedisClient(url, { commandTimeoutMs: 1_000 }) : null;
    const handlers = new Set<Handler>();
    if (subscriber) {
      // Subscribe on every (re)connection: commands are not queued while disconnected.
      subscriber.on("ready", () => void subscriber.subscribe(CHANNEL).catch(() => undefined));
      subscriber.on("message", (_channel: string, raw: string) => {
        let message: Invalidation;
        try {
          message = JSON.parse(raw) as Invalidation;
        } catch {
          return;
        }
        for (const handler of handlers) handler(message);
      });
    }
    state.tokenflowInvalidation = { publisher, subscriber, handlers };
  }
  return state.tokenflowInvalidation;
}

/** Disconnects from Redis (shutdown). */
export async function closeInvalidation(): Promise<void> {
  const current = state.tokenflowInvalidation;
  if (!current) return;
  current.subscriber?.disconnect();
  await current.publisher?.quit().catch(() => current.publisher?.disconnect());
}

/** Runs `handler` for invalidations published by any instance (this one included). */
export function onInvalidation(handler: Handler): void {
  hub().handlers.add(handler);
}

/**
 * Tells this process at once and every other instance through Redis (best effort). The hub lives on
 * globalThis because one process holds two copies of the caches: the gateway's (served by our HTTP
 * server) and the one bundled into Next.js's admin routes, which are where the writes happen.
 */
export function publishInvalidation(message: Invalidation): void {
  const { handlers, publisher } = hub();
  for (const handler of handlers) handler(message);
  publisher?.publish(CHANNEL, JSON.stringify(message)).catch(() => undefined);
}
