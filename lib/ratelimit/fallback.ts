// Redis when it answers, memory when it does not: a rate limit must never stall or fail a request.
// Each call to the primary (Redis) has a hard deadline; on an error or a timeout the same call is
// answered by the in-memory limiter, and the primary is skipped for a short cool-down (so a Redis
// that hangs costs one deadline per cool-down, not one per request). Logged once per minute.
//
// Degrading safely: N instances each answering from their own memory would together admit N times a
// limit. So the fallback enforces only this instance's share of every limit, limit/N, with N the
// number of live instances (instances.ts: heartbeats in Redis while it was up, never below
// TOKENFLOW_INSTANCES). The meters take a fractional limit as it is: over any interval the N shares
// together admit no more than the shared limit would. A limit smaller than N (its share < 1 unit, or
// a request's tokens larger than the share) is refused on every instance until Redis answers again:
// a 429 that says to retry after the cool-down, never the "larger than the limit" 400. Concurrency
// slots get floor(limit/N) each. What the fallback cannot know is what Redis had counted before it
// went away: within the minute of an outage a key can get its limit once more.

import type { MemoryRateLimiter } from "./memory-limiter";
import { LogThrottle } from "./log-throttle";
import { validateChecks, validateSlot } from "./meter";
import type { ConcurrencyLease, LimitCheck, LimitDecision, RateLimiter } from "./types";
import { logger } from "@/lib/log";

const log = logger("ratelimit");

export interface FallbackOptions {
  deadlineMs?: number; // default 1_000: the most a call to Redis may add to a request (config.ts says why)
  cooldownMs?: number; // default 1_000: after a failure, go straight to memory this long
  log?: (message: string) => void; // default: a warning in the log
  logIntervalMs?: number; // default 60_000
  now?: () => number;
  /** Instances sharing the limits (default 1): the fallback enforces limit/instances() of each limit. */
  instances?: () => number;
}

type Primary = RateLimiter & { close?(): Promise<void> };

export class FallbackRateLimiter implements RateLimiter {
  private readonly deadlineMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly instances: () => number;
  private readonly throttle: LogThrottle; // "unavailable" messages
  private readonly recoveries: LogThrottle; // "answers again" messages (a flapping Redis logs once a minute too)
  private skipUntil = -Infinity;
  private degraded = false;
  private lastAnswerAt = -Infinity; // when the primary last answered anything (progress, see call())

  constructor(
    readonly primary: Primary,
    readonly fallback: MemoryRateLimiter,
    options: FallbackOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 1_000;
    this.cooldownMs = options.cooldownMs ?? 1_000;
    this.now = options.now ?? (() => performance.now());
    this.instances = options.instances ?? (() => 1);
    const warn = options.log ?? ((m: string) => log.warn(m));
    this.throttle = new LogThrottle(warn, options.logIntervalMs ?? 60_000, this.now);
    this.recoveries = new LogThrottle(warn, options.logIntervalMs ?? 60_000, this.now);
  }

  async consume(checks: LimitCheck[]): Promise<LimitDecision> {
    validateChecks(checks); // a bad argument is a bug: throw, don't fall back
    return this.call(
      () => this.primary.consume(checks),
      () => this.consumeShare(checks),
      // Redis answered after we gave up and counted the call in memory: give Redis its units back.
      (late) => (late.allowed ? this.primary.refund?.(checks) : undefined),
    );
  }

  async acquire(key: string, limit: number, ttlMs: number): Promise<ConcurrencyLease | null> {
    validateSlot(key, limit, ttlMs);
    const lease = await this.call(
      () => this.primary.acquire(key, limit, ttlMs),
      () => this.fallback.acquire(key, Math.floor(limit / this.sharers()), ttlMs),
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
      () => this.fallback.refund(this.shareOf(checks)),
    );
  }

  /** The memory limiter's answer for this instance's share; states report the shared limits. */
  private async consumeShare(checks: LimitCheck[]): Promise<LimitDecision> {
    const n = this.sharers();
    if (n === 1) return this.fallback.consume(checks);
    const decision = await this.fallback.consume(this.shareOf(checks, n));
    const limits = new Map(checks.map((c) => [c.key, c.limit]));
    const states = decision.states.map((s) => ({ ...s, limit: limits.get(s.key)! }));
    if (decision.allowed) return { allowed: true, states };
    const refused = { ...decision.refused!, limit: limits.get(decision.refused!.key)! };
    // The share can never fit this cost, but the shared limit can: Redis may answer after the cool-down.
    if (!Number.isFinite(refused.retryAfterMs)) {
      const fits = checks.every((c) => c.key !== refused.key || c.cost <= c.limit);
      if (fits) refused.retryAfterMs = Math.max(this.cooldownMs, 1_000);
    }
    return { allowed: false, refused, states };
  }

  private shareOf(checks: LimitCheck[], n = this.sharers()): LimitCheck[] {
    return n === 1 ? checks : checks.map((c) => ({ ...c, limit: c.limit / n }));
  }

  private sharers(): number {
    const n = Math.floor(this.instances());
    return Number.isFinite(n) && n > 1 ? n : 1;
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
      this.throttle.note(`[ratelimit] Redis still unavailable: ${this.inMemory()}`);
      return fallback();
    }
    try {
      const pending = primary();
      pending.then(
        () => (this.lastAnswerAt = this.now()),
        () => undefined,
      );
      // Past the deadline, a primary that answered other calls meanwhile is alive and we are behind
      // (a busy process reads its replies late): wait on, a few deadlines at most. A hung primary
      // answers nothing, so it still costs one deadline (two for calls caught as it stops).
      const result = await withDeadline(pending, this.deadlineMs, onLate, {
        now: this.now,
        answeredSince: (since) => this.lastAnswerAt > since,
      });
      if (this.degraded) {
        this.degraded = false;
        this.recoveries.note("[ratelimit] Redis answers again: limits are shared across instances");
      }
      return result;
    } catch (err) {
      this.degraded = true;
      this.skipUntil = this.now() + this.cooldownMs;
      this.throttle.note(`[ratelimit] Redis unavailable (${reasonOf(err)}): ${this.inMemory()}`);
      return fallback();
    }
  }

  private inMemory(): string {
    const n = this.sharers();
    return n === 1
      ? "limits are enforced per instance, in memory"
      : `limits are enforced per instance, in memory, at 1/${n} each (${n} instances)`;
  }
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // ioredis' words for "not connected right now" (offline queue disabled).
  if (/enableOfflineQueue|Connection is closed/.test(message)) return "not connected";
  return message;
}

/** How many more deadlines a call may wait while the primary keeps answering other calls. */
const MAX_EXTENSIONS = 4;

/**
 * Rejects after ms; a result that arrives later goes to onLate (best effort, errors ignored).
 * The timer's verdict waits one turn of the event loop (setImmediate): when the loop was busy, the
 * timers phase runs before the poll phase that reads a reply which may have been waiting in the
 * socket all along, and without that turn a healthy Redis would be declared late for our own lag.
 * With `progress`, a deadline at which the primary answered something during the period just ended
 * starts another period instead (at most MAX_EXTENSIONS).
 */
function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onLate?: (result: T) => unknown,
  progress?: { now: () => number; answeredSince: (since: number) => boolean },
): Promise<T> {
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let turn: ReturnType<typeof setImmediate> | undefined;
  let extensions = 0;
  const deadline = new Promise<never>((_, reject) => {
    const period = (since: number) => {
      timer = setTimeout(() => {
        turn = setImmediate(() => {
          if (progress && extensions < MAX_EXTENSIONS && progress.answeredSince(since)) {
            extensions++;
            return period(progress.now());
          }
          timedOut = true;
          reject(new Error(`no answer within ${ms * (extensions + 1)} ms`));
        });
      }, ms);
    };
    period(progress?.now() ?? 0);
  });
  promise.then(
    async (result) => {
      if (timedOut && onLate) await Promise.resolve(onLate(result)).catch(() => {});
    },
    () => {}, // a late failure changes nothing
  );
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
    clearImmediate(turn);
  });
}
