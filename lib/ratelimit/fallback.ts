// Redis when it answers, memory when it does not: a rate limit must never stall or fail a request.
// Each call to the primary (Redis) has a hard deadline; on an error or a timeout the same call is
// answered by the in-memory limiter, and the primary is skipped for a short cool-down (so a Redis
// that hangs costs one deadline per cool-down, not one per request). Logged once per minute.

import type { MemoryRateLimiter } from "./memory-limiter";
import { LogThrottle } from "./log-throttle";
import { validateChecks, validateSlot } from "./meter";
import type { ConcurrencyLease, LimitCheck, LimitDecision, RateLimiter } from "./types";
import { logger } from "@/lib/log";

const log = logger("ratelimit");

export interface FallbackOptions {
  deadlineMs?: number; // default 200: the most a call to Redis may add to a request
  cooldownMs?: number; // default 1_000: after a failure, go straight to memory this long
  log?: (message: string) => void; // default: a warning in the log
  logIntervalMs?: number; // default 60_000
  now?: () => number;
}

type Primary = RateLimiter & { close?(): Promise<void> };

export class FallbackRateLimiter implements RateLimiter {
  private readonly deadlineMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly throttle: LogThrottle; // "unavailable" messages
  private readonly recoveries: LogThrottle; // "answers again" messages (a flapping Redis logs once a minute too)
  private skipUntil = -Infinity;
  private degraded = false;

  constructor(
    readonly primary: Primary,
    readonly fallback: MemoryRateLimiter,
    options: FallbackOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 200;
    this.cooldownMs = options.cooldownMs ?? 1_000;
    this.now = options.now ?? (() => performance.now());
    const warn = options.log ?? ((m: string) => log.warn(m));
    this.throttle = new LogThrottle(warn, options.logIntervalMs ?? 60_000, this.now);
    this.recoveries = new LogThrottle(warn, options.logIntervalMs ?? 60_000, this.now);
  }

  async consume(checks: LimitCheck[]): Promise<LimitDecision> {
    validateChecks(checks); // a bad argument is a bug: throw, don't fall back
    return this.call(
      () => this.primary.consume(checks),
      () => this.fallback.consume(checks),
      // Redis answered after we gave up and counted the call in memory: give Redis its units back.
      (late) => (late.allowed ? this.primary.refund?.(checks) : undefined),
    );
  }

  async acquire(key: string, limit: number, ttlMs: number): Promise<ConcurrencyLease | null> {
    validateSlot(key, limit, ttlMs);
    const lease = await this.call(
      () => this.primary.acquire(key, limit, ttlMs),
      () => this.fallback.acquire(key, limit, ttlMs),
      (late) => late?.release(), // a slot taken after the deadline would leak until its ttl
    );
    if (!lease) return null;
    // Releasing is best effort and never throws: a slot Redis did not hear about frees itself after ttlMs.
    return {
      release: () =>
        withDeadline(lease.release(), this.deadlineMs).catch((err) =>
          this.throttle.note(`[ratelimit] slot release failed (${reasonOf(err)}); it frees itself after its ttl`),
        ),
    };
  }

  async refund(checks: LimitCheck[]): Promise<void> {
    validateChecks(checks);
    // Best effort: we don't know which limiter counted the request; refund where it likely was.
    await this.call(
      () => this.primary.refund?.(checks) ?? Promise.resolve(),
      () => this.fallback.refund(checks),
    );
  }

  async close(): Promise<void> {
    await this.primary.close?.();
  }

  private async call<T>(
    primary: () => Promise<T>,
    fallback: () => Promise<T>,
    onLate?: (result: T) => unknown,
  ): Promise<T> {
    if (this.now() < this.skipUntil) {
      this.throttle.note("[ratelimit] Redis still unavailable: limits are enforced per instance, in memory");
      return fallback();
    }
    try {
      const result = await withDeadline(primary(), this.deadlineMs, onLate);
      if (this.degraded) {
        this.degraded = false;
        this.recoveries.note("[ratelimit] Redis answers again: limits are shared across instances");
      }
      return result;
    } catch (err) {
      this.degraded = true;
      this.skipUntil = this.now() + this.cooldownMs;
      this.throttle.note(
        `[ratelimit] Redis unavailable (${reasonOf(err)}): limits are enforced per instance, in memory`,
      );
      return fallback();
    }
  }
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // ioredis' words for "not connected right now" (offline queue disabled).
  if (/enableOfflineQueue|Connection is closed/.test(message)) return "not connected";
  return message;
}

/** Rejects after ms; a result that arrives later goes to onLate (best effort, errors ignored). */
function withDeadline<T>(promise: Promise<T>, ms: number, onLate?: (result: T) => unknown): Promise<T> {
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  promise.then(
    async (result) => {
      if (timedOut && onLate) await Promise.resolve(onLate(result)).catch(() => {});
    },
    () => {}, // a late failure changes nothing
  );
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
