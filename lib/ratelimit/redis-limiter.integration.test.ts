// RedisRateLimiter against a real Redis (REDIS_URL, else 127.0.0.1:6379). These tests fail, never
// skip, when Redis is unreachable. Times are Redis server times, so assertions allow for latency.
import type Redis from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RedisRateLimiter } from "./redis-limiter";
import { deleteByPrefix, readyClient, sleep, startRedisServer, uniquePrefix } from "@/test/redis";
import type { LimitCheck } from "./types";

const prefix = uniquePrefix("limiter");
let clientA: Redis;
let clientB: Redis;
let a: RedisRateLimiter; // gateway instance A
let b: RedisRateLimiter; // gateway instance B (its own connection)

let unreachable: Error | undefined;

beforeAll(async () => {
  try {
    [clientA, clientB] = await Promise.all([readyClient(), readyClient()]);
  } catch (err) {
    unreachable = err as Error;
    return;
  }
  a = new RedisRateLimiter(clientA, { prefix });
  b = new RedisRateLimiter(clientB, { prefix });
});

// No Redis: every test fails (counted as failed, not skipped).
beforeEach(() => {
  if (unreachable) throw unreachable;
});

afterAll(async () => {
  if (clientA) await deleteByPrefix(clientA, prefix);
  clientA?.disconnect();
  clientB?.disconnect();
});

let n = 0;
const fresh = (label: string) => `${label}:${++n}`;
const check = (key: string, limit: number, windowMs: number, cost = 1): LimitCheck => ({ key, limit, windowMs, cost });

async function hammer(rl: RedisRateLimiter, c: LimitCheck, times: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < times; i++) if ((await rl.consume([c])).allowed) allowed++;
  return allowed;
}

describe("RedisRateLimiter: sliding rate", () => {
  it("allows a burst of `limit`, then one per windowMs/limit", async () => {
    const c = check(fresh("burst"), 10, 2_000); // one per 200 ms
    expect(await hammer(a, c, 20)).toBe(10);
    const d = await a.consume([c]);
    expect(d.refused).toMatchObject({ limit: 10, remaining: 0 });
    expect(d.refused!.retryAfterMs).toBeGreaterThan(100);
    expect(d.refused!.retryAfterMs).toBeLessThanOrEqual(200);
    // Hammer for ~1.2 s: about 6 more (one per 200 ms), never a second burst.
    const t0 = performance.now();
    let allowed = 0;
    while (performance.now() - t0 < 1_200) {
      if ((await a.consume([c])).allowed) allowed++;
      await sleep(5);
    }
    expect(allowed).toBeGreaterThanOrEqual(5);
    expect(allowed).toBeLessThanOrEqual(7);
  });

  it("never admits more than limit + limit*d/window in any interval d (no double burst)", async () => {
    const c = check(fresh("sliding"), 10, 1_000);
    const admitted: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 3_000) {
      if ((await a.consume([c])).allowed) admitted.push(performance.now());
      await sleep(2);
    }
    expect(admitted.length).toBeGreaterThanOrEqual(10 + 30 - 3);
    expect(admitted.length).toBeLessThanOrEqual(10 + 30 + 1);
    for (let i = 0; i < admitted.length; i++)
      for (let j = i; j < admitted.length; j++) {
        const bound = 10 + (10 * (admitted[j] - admitted[i])) / 1_000;
        expect(j - i + 1).toBeLessThanOrEqual(bound + 1); // +1: client timestamps vs server time
      }
  });

  it("retryAfterMs is accurate: refused shortly before it, allowed at it", async () => {
    const c = check(fresh("retry"), 5, 5_000); // one per 1000 ms
    expect(await hammer(a, c, 5)).toBe(5);
    const r1 = (await a.consume([c])).refused!.retryAfterMs;
    expect(r1).toBeGreaterThan(900);
    expect(r1).toBeLessThanOrEqual(1_000);
    await sleep(r1 - 80);
    const early = await a.consume([c]);
    expect(early.allowed).toBe(false);
    expect(early.refused!.retryAfterMs).toBeLessThanOrEqual(80);
    await sleep(early.refused!.retryAfterMs);
    expect((await a.consume([c])).allowed).toBe(true);
  });

  it("counts cost > 1 (TPM) and refuses cost > limit with Infinity", async () => {
    const key = fresh("tpm");
    const tpm = (cost: number) => check(key, 10_000, 60_000, cost);
    const first = await a.consume([tpm(9_000)]);
    expect(first.states[0].remaining).toBe(1_000);
    expect(first.states[0].resetMs).toBeGreaterThan(53_900);
    expect(first.states[0].resetMs).toBeLessThanOrEqual(54_000);
    const d = await a.consume([tpm(3_000)]);
    expect(d.refused).toMatchObject({ remaining: 1_000 });
    expect(d.refused!.retryAfterMs).toBeGreaterThan(11_900); // 2000 tokens at 6 ms each
    expect(d.refused!.retryAfterMs).toBeLessThanOrEqual(12_000);
    expect((await a.consume([tpm(10_001)])).refused!.retryAfterMs).toBe(Infinity);
    expect((await a.consume([tpm(1_000)])).allowed).toBe(true);
    expect((await a.consume([tpm(0)])).allowed).toBe(true);
  });
});

describe("RedisRateLimiter: decisions", () => {
  it("is all-or-nothing across checks: a refused request consumes nothing", async () => {
    const key = check(fresh("key"), 5, 3_600_000);
    const org = check(fresh("org"), 2, 3_600_000);
    expect((await a.consume([key, org])).allowed).toBe(true);
    expect((await b.consume([key, org])).allowed).toBe(true);
    for (let i = 0; i < 3; i++) {
      const d = await a.consume([key, org]);
      expect(d.refused?.key).toBe(org.key);
      expect(d.states.map((s) => s.remaining)).toEqual([3, 0]);
    }
    expect(await hammer(b, key, 10)).toBe(3);
  });

  it("charges a key named twice in one call for both; refund gives units back", async () => {
    const c = check(fresh("dup"), 3, 3_600_000);
    expect((await a.consume([c, c])).states.map((s) => s.remaining)).toEqual([2, 1]);
    expect((await a.consume([c, c])).allowed).toBe(false);
    await a.refund([c, c]);
    expect((await b.consume([c, c, c])).allowed).toBe(true);
    await b.refund([{ ...c, cost: 100 }]);
    expect((await a.consume([{ ...c, cost: 0 }])).states[0].remaining).toBe(3);
  });

  it("stores O(1) per key with an expiry when it drains (server time)", async () => {
    const c = check(fresh("ttl"), 100, 10_000, 30); // 30 units drain in 3000 ms
    const d = await a.consume([c]);
    expect(d.states[0].resetMs).toBe(3_000);
    const meterKey = `${prefix}m:${c.key}`;
    expect(await clientA.type(meterKey)).toBe("string");
    const pttl = await clientA.pttl(meterKey);
    expect(pttl).toBeGreaterThan(2_900);
    expect(pttl).toBeLessThanOrEqual(3_001);
  });
});

describe("RedisRateLimiter: two instances share limits", () => {
  it("200 concurrent consumes from two instances admit exactly `limit`", async () => {
    const c = check(fresh("race"), 50, 3_600_000);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).consume([c])));
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
  });

  it("under concurrency, refused multi-check requests consume nothing from the other keys", async () => {
    const key = check(fresh("race-key"), 100, 3_600_000);
    const org = check(fresh("race-org"), 30, 3_600_000);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).consume([key, org])));
    expect(results.filter((r) => r.allowed)).toHaveLength(30);
    expect((await a.consume([{ ...key, cost: 0 }])).states[0].remaining).toBe(70);
  });

  it("concurrency slots are shared: exactly `limit` holders across instances, release frees one", async () => {
    const slot = fresh("streams");
    const leases = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).acquire(slot, 5, 60_000)));
    const held = leases.filter((l) => l !== null);
    expect(held).toHaveLength(5);
    expect(await a.acquire(slot, 5, 60_000)).toBeNull();
    await held[0]!.release();
    await held[0]!.release(); // idempotent
    const again = await Promise.all([a.acquire(slot, 5, 60_000), b.acquire(slot, 5, 60_000)]);
    expect(again.filter(Boolean)).toHaveLength(1);
    expect(await clientA.zcard(`${prefix}c:${slot}`)).toBe(5);
    expect(await a.acquire(fresh("none"), 0, 1_000)).toBeNull();
  });

  it("a slot lost by a crashed instance frees itself after ttlMs", async () => {
    const slot = fresh("crash");
    expect(await a.acquire(slot, 1, 300)).not.toBeNull(); // never released
    expect(await b.acquire(slot, 1, 300)).toBeNull();
    const pttl = await clientA.pttl(`${prefix}c:${slot}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await sleep(350);
    expect(await b.acquire(slot, 1, 300)).not.toBeNull();
  });
});

describe("RedisRateLimiter: script loading", () => {
  it("loads its scripts on connecting, uses EVALSHA, and reloads with EVAL after NOSCRIPT (script cache flushed)", async () => {
    const server = await startRedisServer(); // private server: SCRIPT FLUSH must not touch the shared one
    const client = await readyClient(server.url);
    try {
      const rl = new RedisRateLimiter(client, { prefix });
      const c = check("flush", 3, 60_000);
      expect((await rl.consume([c])).allowed).toBe(true); // EVALSHA: loaded when the limiter was made
      expect((await rl.consume([c])).allowed).toBe(true); // EVALSHA
      await client.script("FLUSH");
      expect((await rl.consume([c])).allowed).toBe(true); // NOSCRIPT → EVAL
      expect((await rl.consume([c])).allowed).toBe(false);
      const stats = String(await client.info("commandstats"));
      expect(Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1])).toBe(4);
      expect(Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1])).toBe(1);
      expect(
        Number(/cmdstat_script\|load:calls=(\d+)/.exec(stats)?.[1] ?? /cmdstat_script:calls=(\d+)/.exec(stats)?.[1]),
      ).toBeGreaterThanOrEqual(3);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
