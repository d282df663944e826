// Shared limits across gateway instances: one atomic Lua script per call (scripts.ts).
// This class never hides a Redis failure: it rejects, fast, and FallbackRateLimiter (fallback.ts)
// answers from memory instead. The client is configured to fail fast (see createRedisClient).

import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { validateChecks, validateSlot } from "./meter";
import { ACQUIRE, CONSUME, REFUND, type LuaScript } from "./scripts";
import type { ConcurrencyLease, LimitCheck, LimitDecision, RateLimiter } from "./types";

export interface RedisRateLimiterOptions {
  prefix?: string; // key namespace, default "tf:rl:"; meters live under <prefix>m:, slots under <prefix>c:
  /** Before the client was ever ready, a call waits this long for the first connection (default 150). */
  startupWaitMs?: number;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;
  private readonly startupWaitMs: number;
  private everReady: boolean;

  constructor(
    readonly client: Redis,
    options: RedisRateLimiterOptions = {},
  ) {
    this.prefix = options.prefix ?? "tf:rl:";
    this.startupWaitMs = options.startupWaitMs ?? 150;
    this.everReady = client.status === "ready";
    client.once("ready", () => (this.everReady = true));
    // Load the scripts on every (re)connection, before any check: otherwise the first burst after a
    // start, or after Redis restarted, costs every call a NOSCRIPT round trip and a second EVAL
    // carrying the whole script, which on a busy process is what pushes answers past the deadline.
    client.on("ready", () => void this.loadScripts());
    if (client.status === "ready") void this.loadScripts();
  }

  private async loadScripts(): Promise<void> {
    await Promise.all([CONSUME, REFUND, ACQUIRE].map((s) => this.client.script("LOAD", s.source))).catch(
      () => undefined, // run() still falls back to EVAL on NOSCRIPT
    );
  }

  async consume(checks: LimitCheck[]): Promise<LimitDecision> {
    validateChecks(checks);
    if (checks.length === 0) return { allowed: true, states: [] };
    const args = checks.flatMap((c) => [c.limit, c.windowMs, c.cost]);
    const reply = (await this.run(
      CONSUME,
      checks.map((c) => this.meterKey(c.key)),
      args,
    )) as number[];
    if (!Array.isArray(reply) || reply.length !== 1 + 3 * checks.length)
      throw new Error("unexpected reply from rate limit script");
    const refusedIndex = Number(reply[0]) - 1;
    const states = checks.map((c, i) => ({
      key: c.key,
      limit: c.limit,
      remaining: Number(reply[1 + 3 * i]),
      resetMs: Number(reply[2 + 3 * i]),
    }));
    if (refusedIndex < 0) return { allowed: true, states };
    const retry = Number(reply[3 + 3 * refusedIndex]);
    const refused = { ...states[refusedIndex], retryAfterMs: retry < 0 ? Infinity : retry };
    return { allowed: false, refused, states };
  }

  async refund(checks: LimitCheck[]): Promise<void> {
    validateChecks(checks);
    if (checks.length === 0) return;
    await this.run(
      REFUND,
      checks.map((c) => this.meterKey(c.key)),
      checks.flatMap((c) => [c.limit, c.windowMs, c.cost]),
    );
  }

  async acquire(key: string, limit: number, ttlMs: number): Promise<ConcurrencyLease | null> {
    validateSlot(key, limit, ttlMs);
    if (limit === 0) return null;
    const slotKey = this.prefix + "c:" + key;
    const id = randomUUID();
    const ok = await this.run(ACQUIRE, [slotKey], [limit, Math.ceil(ttlMs), id]);
    if (Number(ok) !== 1) return null;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.ready();
        await this.client.zrem(slotKey, id); // lost on failure: the slot then frees itself after ttlMs
      },
    };
  }

  /** Disconnects the client (for shutdown and tests). */
  async close(): Promise<void> {
    this.client.disconnect();
  }

  private meterKey(key: string): string {
    return this.prefix + "m:" + key;
  }

  /** EVALSHA; on NOSCRIPT (script cache flushed, Redis restarted) EVAL, which caches it again. */
  private async run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    await this.ready();
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
      return await this.client.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Only before the very first connection: give it up to startupWaitMs, so a fresh instance's first
   * requests count in Redis rather than in memory. Afterwards never wait: a command on a client that
   * is not ready fails at once (offline queue disabled) and the caller falls back.
   */
  private async ready(): Promise<void> {
    const c = this.client;
    if (c.status === "ready" || this.everReady) return;
    if (c.status === "wait") c.connect().catch(() => {}); // errors reach the 'error' listener
    if (c.status !== "connecting" && c.status !== "connect") return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        c.off("ready", done).off("close", done).off("end", done);
        resolve();
      };
      const timer = setTimeout(done, this.startupWaitMs);
      c.once("ready", done).once("close", done).once("end", done);
    });
  }
}
