import type Redis from "ioredis";
import { createRedisClient } from "@/lib/ratelimit";

// Cross-instance cache invalidation (DESIGN §1): each instance caches keys, models and channels for
// a couple of seconds; an admin write clears its own instance at once and, through Redis pub/sub,
// every other instance too, so a revoked key stops working everywhere immediately. Without Redis
// (or while it is down) the cache TTL still bounds the staleness. Pub/sub does not keep messages for
// a subscriber that was away, so after a reconnection this instance drops all it cached: whatever it
// missed meanwhile cannot outlive that moment. The server subscribes before it listens
// (connectInvalidation), so a fresh instance does not miss the first invalidations either.

export type Invalidation = { kind: "catalog" } | { kind: "key"; keyHash: string } | { kind: "keys" };

const CHANNEL = "tokenflow:invalidate";
type Handler = (message: Invalidation) => void;

const state = globalThis as unknown as {
  tokenflowInvalidation?: {
    publisher: Redis | null;
    subscriber: Redis | null;
    handlers: Set<Handler>;
    subscribed: Promise<void>;
  };
};

/** Everything an instance caches: what a reconnected subscriber may have missed. */
const EVERYTHING: Invalidation[] = [{ kind: "catalog" }, { kind: "keys" }];

function hub() {
  if (!state.tokenflowInvalidation) {
    const url = process.env.REDIS_URL;
    const publisher = url ? createRedisClient(url) : null;
    const subscriber = url ? createRedisClient(url, { commandTimeoutMs: 1_000 }) : null;
    const handlers = new Set<Handler>();
    let onSubscribed: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
    if (subscriber) {
      let everSubscribed = false;
      // Subscribe on every (re)connection: commands are not queued while disconnected.
      subscriber.on("ready", () => {
        subscriber
          .subscribe(CHANNEL)
          .then(() => {
            if (everSubscribed) for (const message of EVERYTHING) for (const handler of handlers) handler(message);
            everSubscribed = true;
            onSubscribed();
          })
          .catch(() => undefined);
      });
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
    state.tokenflowInvalidation = { publisher, subscriber, handlers, subscribed };
  }
  return state.tokenflowInvalidation;
}

/**
 * Server start: connects to Redis and subscribes, waiting at most `waitMs`. Returns whether this
 * instance now hears the others' invalidations (true without Redis: there are no others to hear).
 */
export async function connectInvalidation(waitMs: number): Promise<boolean> {
  const { subscriber, subscribed } = hub();
  if (!subscriber) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
  const result = await Promise.race([subscribed.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
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
