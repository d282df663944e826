// In-process limiter: a single instance without Redis, and the fallback when Redis fails.
// Bounded memory: a meter whose level has drained to 0 is equivalent to no entry, so it is
// deleted by a sweep that runs at most every sweepIntervalMs (piggy-backed on calls); beyond
// maxKeys entries the least recently used are dropped at once (forgetting can only be lenient).
// No timers: nothing keeps the process alive.

import { randomUUID } from "node:crypto";
import { decide, drain, validateChecks, validateSlot, type MeterState } from "./meter";
import type { ConcurrencyLease, LimitCheck, LimitDecision, RateLimiter } from "./types";

interface Entry extends MeterState {
  expiresAt: number; // when level reaches 0
}

export interface MemoryRateLimiterOptions {
  now?: () => number; // ms; monotonic by default
  maxKeys?: number; // meters + slot sets kept at most (default 100_000)
  sweepIntervalMs?: number; // default 10_000
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly meters = new Map<string, Entry>(); // insertion order = least recently used first
  private readonly slots = new Map<string, Map<string, number>>(); // key → lease id → expiry
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly sweepIntervalMs: number;
  private lastSweep: number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.maxKeys = options.maxKeys ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    this.lastSweep = this.now();
  }

  async consume(checks: LimitCheck[]): Promise<LimitDecision> {
    validateChecks(checks);
    const now = this.now();
    this.maybeSweep(now);
    const { decision, levels } = decide(checks, (c) => drain(this.meters.get(c.key), now, c.limit, c.windowMs));
    for (const c of checks) {
      const level = levels.get(c.key);
      if (level !== undefined) this.store(c, level, now);
    }
    return decision;
  }

  async refund(checks: LimitCheck[]): Promise<void> {
    validateChecks(checks);
    const now = this.now();
    for (const c of checks) {
      const level = drain(this.meters.get(c.key), now, c.limit, c.windowMs);
      this.store(c, Math.max(0, level - c.cost), now);
    }
  }

  async acquire(key: string, limit: number, ttlMs: number): Promise<ConcurrencyLease | null> {
    validateSlot(key, limit, ttlMs);
    const now = this.now();
    this.maybeSweep(now);
    const held = this.slots.get(key) ?? new Map<string, number>();
    for (const [id, expiresAt] of held) if (expiresAt <= now) held.delete(id);
    if (held.size >= limit) return null;
    const id = randomUUID();
    held.set(id, now + ttlMs);
    this.slots.delete(key); // re-insert: most recently used last
    this.slots.set(key, held);
    this.evictOverflow();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const set = this.slots.get(key);
        if (set?.delete(id) && set.size === 0) this.slots.delete(key);
      },
    };
  }

  /** Entries held now (meters + slot sets); for tests and metrics. */
  size(): number {
    return this.meters.size + this.slots.size;
  }

  /** Drops every entry that no longer matters. O(entries); runs rarely. */
  sweep(now = this.now()): void {
    this.lastSweep = now;
    for (const [key, e] of this.meters) if (e.expiresAt <= now) this.meters.delete(key);
    for (const [key, held] of this.slots) {
      for (const [id, expiresAt] of held) if (expiresAt <= now) held.delete(id);
      if (held.size === 0) this.slots.delete(key);
    }
  }

  private store(c: LimitCheck, level: number, now: number): void {
    this.meters.delete(c.key); // re-insert: most recently used last
    if (level <= 0) return;
    // level > 0 implies limit > 0 (drain() reports 0 for a limit of 0). expiresAt: when it drains to 0.
    this.meters.set(c.key, { level, at: now, expiresAt: now + (level * c.windowMs) / c.limit });
    this.evictOverflow();
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now);
  }

  private evictOverflow(): void {
    // Expired entries go by the periodic sweep; here only LRU order, so each insert stays O(1).
    for (const map of [this.meters, this.slots] as Map<string, unknown>[]) {
      for (const key of map.keys()) {
        if (this.size() <= this.maxKeys) return;
        map.delete(key); // least recently used first: forgetting usage is lenient, never stricter
      }
    }
  }
}
