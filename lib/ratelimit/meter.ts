// The algorithm, as pure functions (the memory limiter uses them; scripts.ts mirrors them in Lua).
//
// Each key is a *leaky-bucket meter* (the "virtual scheduling" twin of GCRA): `level` = units in
// use, which drains continuously at limit/windowMs units per ms. A request of `cost` units is
// admitted iff level + cost <= limit, and then level += cost. State is two numbers per key
// (level, time of last update): O(1) memory, exact, no per-request log.
//
// What that gives a "60 per minute" limit:
//   - a burst of 60 from a full (idle) budget, then exactly one more per second (60000/60 ms);
//   - in ANY interval of length d, at most limit + limit*d/windowMs units are admitted. There are
//     no window boundaries at all, so the fixed-window failure (60 at 0:59 + 60 at 1:00 = 120 in two
//     seconds) cannot happen: right after a burst of 60, the next second admits 1. Even the worst case
//     over a whole minute (burst, then the steady rate for 60 s) stays below 2*limit (119 for 60 rpm);
//   - the exact wait until a refused cost fits: (level + cost - limit) * windowMs / limit.
// Numbers stay small (level <= limit), so float error is ~1e-16 relative; a 1e-9 tolerance absorbs it.

import type { LimitCheck, LimitDecision } from "./types";

export interface MeterState {
  level: number; // units in use at time `at`
  at: number; // ms, the limiter's clock
}

export interface MeterResult {
  allowed: boolean;
  level: number; // level after this request (unchanged when refused)
  remaining: number; // whole units still available after this request
  resetMs: number; // ms until level drains to 0 (limit fully available again)
  retryAfterMs: number; // when refused: ms until `cost` fits; Infinity if it never can; 0 when allowed
}

const tolerance = (limit: number) => 1e-9 * Math.max(1, limit);

/** Level of the meter at `now`, after draining since the last update. */
export function drain(state: MeterState | undefined, now: number, limit: number, windowMs: number): number {
  if (!state || limit <= 0) return 0;
  const elapsed = Math.max(0, now - state.at); // a clock going backwards drains nothing
  return Math.max(0, state.level - (elapsed * limit) / windowMs);
}

/** ms until `units` drain away (ceil, with float noise removed). */
export function msToDrain(units: number, limit: number, windowMs: number): number {
  if (units <= 0) return 0;
  if (limit <= 0) return Infinity;
  return Math.max(0, Math.ceil((units * windowMs) / limit - 1e-6));
}

/** Decides one check against the (already drained) level. Pure. */
export function evaluate(level: number, limit: number, windowMs: number, cost: number): MeterResult {
  if (cost <= 0 || level + cost <= limit + tolerance(limit)) {
    const next = level + Math.max(0, cost);
    return { allowed: true, level: next, ...view(next, limit, windowMs), retryAfterMs: 0 };
  }
  const retryAfterMs = cost > limit ? Infinity : Math.max(1, msToDrain(level + cost - limit, limit, windowMs));
  return { allowed: false, level, ...view(level, limit, windowMs), retryAfterMs };
}

export function view(level: number, limit: number, windowMs: number): { remaining: number; resetMs: number } {
  const remaining = Math.min(limit, Math.max(0, Math.floor(limit - level + tolerance(limit))));
  return { remaining, resetMs: msToDrain(level, limit, windowMs) };
}

/** Throws RangeError on input that is a programming error (never falls back to another limiter). */
export function validateChecks(checks: readonly LimitCheck[]): void {
  if (!Array.isArray(checks)) throw new RangeError("checks must be an array");
  for (const c of checks) {
    if (typeof c.key !== "string" || c.key.length === 0) throw new RangeError("check key must be a non-empty string");
    if (!Number.isFinite(c.limit) || c.limit < 0) throw new RangeError(`invalid limit for ${c.key}: ${c.limit}`);
    if (!Number.isFinite(c.windowMs) || c.windowMs <= 0) throw new RangeError(`invalid windowMs for ${c.key}`);
    if (!Number.isFinite(c.cost) || c.cost < 0) throw new RangeError(`invalid cost for ${c.key}: ${c.cost}`);
  }
}

export function validateSlot(key: string, limit: number, ttlMs: number): void {
  if (typeof key !== "string" || key.length === 0) throw new RangeError("slot key must be a non-empty string");
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`invalid concurrency limit for ${key}: ${limit}`);
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`invalid ttlMs for ${key}: ${ttlMs}`);
}

/**
 * All-or-nothing decision over several checks. `levelOf` returns a key's drained level now.
 * A key named twice in one call is charged for both (the second check sees the first's units).
 * Returns the decision and, when allowed, the new level of every key to store.
 */
export function decide(
  checks: readonly LimitCheck[],
  levelOf: (check: LimitCheck) => number,
): { decision: LimitDecision; levels: Map<string, number> } {
  const current = new Map<string, number>();
  const pending = new Map<string, number>();
  const results: MeterResult[] = [];
  let refusedAt = -1;
  for (const [i, c] of checks.entries()) {
    if (!current.has(c.key)) current.set(c.key, levelOf(c));
    const r = evaluate(pending.get(c.key) ?? current.get(c.key)!, c.limit, c.windowMs, c.cost);
    results.push(r);
    if (r.allowed) pending.set(c.key, r.level);
    else if (refusedAt < 0) refusedAt = i;
  }
  if (refusedAt < 0) {
    const states = checks.map((c, i) => ({
      key: c.key,
      limit: c.limit,
      remaining: results[i].remaining,
      resetMs: results[i].resetMs,
    }));
    return { decision: { allowed: true, states }, levels: pending };
  }
  // Refused: nothing is consumed; states show each key as it is now.
  const states = checks.map((c) => ({ key: c.key, limit: c.limit, ...view(current.get(c.key)!, c.limit, c.windowMs) }));
  const c = checks[refusedAt];
  const { retryAfterMs } = results[refusedAt]; // counts units an earlier check on the same key needs too
  const refused = { key: c.key, limit: c.limit, retryAfterMs, ...view(current.get(c.key)!, c.limit, c.windowMs) };
  return { decision: { allowed: false, refused, states }, levels: new Map() };
}
