import { once } from "node:events";
import type Redis from "ioredis";
import { createRedisClient } from "@/lib/ratelimit";

// Conversation stickiness for `model: "auto"`: the model a conversation's first turn was served by,
// per organization, variant and conversation (its system messages and first user message), so later
// turns stay there and keep the provider's prompt cache warm. Shared between instances through
// Redis when REDIS_URL is set (a lookup may add at most a few ms: on a slow or failed Redis the local
// memory answers); each instance also remembers what it routed.

const TTL_MS = 60 * 60_000;
const MAX_LOCAL = 100_000;
const REDIS_TIMEOUT_MS = 100;
const REMEMBER_WAIT_MS = 2_000;

interface Entry {
  modelId: string;
  expiresAt: number;
}

const globalForSticky = globalThis as unknown as {
  tokenflowSticky?: { local: Map<string, Entry>; redis: Redis | null };
};

function store() {
  if (!globalForSticky.tokenflowSticky) {
    const url = process.env.REDIS_URL;
    globalForSticky.tokenflowSticky = {
      local: new Map(),
      redis: url ? createRedisClient(url, { commandTimeoutMs: REDIS_TIMEOUT_MS }) : null,
    };
  }
  return globalForSticky.tokenflowSticky;
}

function redisKey(key: string) {
  return `tf:auto:${key}`;
}

export function stickyKey(organizationId: string, variant: string, conversationKey: string): string {
  return `${organizationId}:${variant}:${conversationKey}`;
}

/** The model this conversation was routed to, if known here or in Redis. */
export async function lookupSticky(key: string, now = Date.now()): Promise<string | null> {
  const { local, redis } = store();
  const hit = local.get(key);
  if (hit && hit.expiresAt > now) return hit.modelId;
  if (!redis) return null;
  try {
    if (!(await whenReady(redis))) return null;
    const modelId = await withTimeout(redis.get(redisKey(key)), REDIS_TIMEOUT_MS);
    if (modelId) remember(local, key, modelId, now);
    return modelId ?? null;
  } catch {
    return null;
  }
}

/** Remembers the model that answered this conversation (locally at once, in Redis best effort). */
export function rememberSticky(key: string, modelId: string, now = Date.now()): void {
  const { local, redis } = store();
  remember(local, key, modelId, now);
  if (!redis) return;
  void whenReady(redis, REMEMBER_WAIT_MS) // off the request's path: it may wait longer
    .then((ready) => (ready ? redis.set(redisKey(key), modelId, "PX", TTL_MS) : undefined))
    .catch(() => undefined);
}

/**
 * True once the connection is ready. Connections are made lazily, so a fresh instance waits for it,
 * briefly; a Redis that is down (reconnecting) is not waited for: memory answers at once.
 */
async function whenReady(redis: Redis, waitMs = REDIS_TIMEOUT_MS): Promise<boolean> {
  if (redis.status === "wait" || redis.status === "connecting" || redis.status === "connect") {
    await once(redis, "ready", { signal: AbortSignal.timeout(waitMs) }).catch(() => undefined);
  }
  return redis.status === "ready";
}

function remember(local: Map<string, Entry>, key: string, modelId: string, now: number) {
  if (local.size >= MAX_LOCAL) local.delete(local.keys().next().value as string); // oldest first
  local.delete(key);
  local.set(key, { modelId, expiresAt: now + TTL_MS });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Tests only. */
export function resetSticky() {
  store().local.clear();
}
