import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryRateLimiter } from "./memory-limiter";
import type { LimitCheck } from "./types";

let now: number;
let rl: MemoryRateLimiter;
beforeEach(() => {
  now = 1_000_000;
  rl = new MemoryRateLimiter({ now: () => now });
});

const rpm = (key = "key:k1:rpm", limit = 60): LimitCheck => ({ key, limit, windowMs: 60_000, cost: 1 });
const tpm = (cost: number, limit = 10_000): LimitCheck => ({ key: "key:k1:tpm", limit, windowMs: 60_000, cost });

async function burst(check: LimitCheck, n: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await rl.consume([check])).allowed) allowed++;
  return allowed;
}

describe("MemoryRateLimiter: sliding rate", () => {
  it("allows a burst of `limit`, then one per windowMs/limit", async () => {
    expect(await burst(rpm(), 100)).toBe(60);
    const refused = await rl.consume([rpm()]);
    expect(refused.refused).toMatchObject({
      key: "key:k1:rpm",
      limit: 60,
      remaining: 0,
      retryAfterMs: 1000,
      resetMs: 60_000,
    });
    // A client hammering every 100 ms for 5 minutes gets exactly one per second.
    let allowed = 0;
    for (let t = 100; t <= 300_000; t += 100) {
      now = 1_000_000 + t;
      if ((await rl.consume([rpm()])).allowed) allowed++;
    }
    expect(allowed).toBe(300);
  });

  it("has no double burst across a minute boundary (60 at 0:59.9 leaves ~1 at 1:00)", async () => {
    now = 59_900;
    expect(await burst(rpm(), 60)).toBe(60);
    now = 60_000; // where a fixed window would reset
    expect(await burst(rpm(), 60)).toBe(0);
    now = 60_900;
    expect(await burst(rpm(), 60)).toBe(1);
    now = 61_900;
    expect(await burst(rpm(), 60)).toBe(1);
  });

  it("never admits more than limit + limit*d/window units in any interval d (any arrivals, any costs)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), cost: fc.integer({ min: 0, max: 4 }) }), {
          minLength: 1,
          maxLength: 300,
        }),
        async (arrivals) => {
          let t = 0;
          const limiter = new MemoryRateLimiter({ now: () => t });
          const check = { key: "k", limit: 10, windowMs: 10_000, cost: 0 };
          const admitted: Array<{ t: number; cost: number }> = [];
          for (const a of arrivals) {
            t += a.gap;
            if ((await limiter.consume([{ ...check, cost: a.cost }])).allowed) admitted.push({ t, cost: a.cost });
          }
          for (let i = 0; i < admitted.length; i++) {
            let sum = 0;
            for (let j = i; j < admitted.length; j++) {
              sum += admitted[j].cost;
              const bound = check.limit + (check.limit * (admitted[j].t - admitted[i].t)) / check.windowMs;
              expect(sum).toBeLessThanOrEqual(bound + 1e-9);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("admits a full minute's worth of a steady 1/s client forever (no starvation)", async () => {
    for (let s = 0; s < 600; s++) {
      now = 1_000_000 + s * 1000;
      expect((await rl.consume([rpm()])).allowed).toBe(true);
    }
  });
});

describe("MemoryRateLimiter: decisions and headers", () => {
  it("reports remaining after this request and ms until fully replenished", async () => {
    const d = await rl.consume([rpm("a", 60), { key: "b", limit: 1000, windowMs: 60_000, cost: 250 }]);
    expect(d).toEqual({
      allowed: true,
      states: [
        { key: "a", limit: 60, remaining: 59, resetMs: 1000 },
        { key: "b", limit: 1000, remaining: 750, resetMs: 15_000 },
      ],
    });
    now += 500;
    expect((await rl.consume([rpm("a", 60)])).states[0]).toEqual({ key: "a", limit: 60, remaining: 58, resetMs: 1500 });
  });

  it("is all-or-nothing across checks: a refused request consumes nothing", async () => {
    const key = rpm("key:k1:rpm", 5);
    const org = rpm("org:o1:rpm", 2);
    expect((await rl.consume([key, org])).allowed).toBe(true);
    expect((await rl.consume([key, org])).allowed).toBe(true);
    for (let i = 0; i < 3; i++) {
      const d = await rl.consume([key, org]);
      expect(d.allowed).toBe(false);
      expect(d.refused?.key).toBe("org:o1:rpm");
      expect(d.states).toEqual([
        { key: "key:k1:rpm", limit: 5, remaining: 3, resetMs: 24_000 },
        { key: "org:o1:rpm", limit: 2, remaining: 0, resetMs: 60_000 },
      ]);
    }
    // The key's own budget was untouched by the refusals: 3 left.
    expect(await burst(key, 10)).toBe(3);
  });

  it("names the first refusing check", async () => {
    const a = rpm("a", 1);
    const b = rpm("b", 1);
    await rl.consume([a, b]);
    expect((await rl.consume([a, b])).refused?.key).toBe("a");
    expect((await rl.consume([b, a])).refused?.key).toBe("b");
  });

  it("retryAfterMs is exact: refused 1 ms before, allowed at it (non-integral interval)", async () => {
    const check = { key: "k", limit: 7, windowMs: 60_000, cost: 1 }; // one per 8571.43 ms
    expect(await burst(check, 7)).toBe(7);
    now += 1234.5;
    const d = await rl.consume([check]);
    const retry = d.refused!.retryAfterMs;
    expect(retry).toBe(Math.ceil(60_000 / 7 - 1234.5)); // 7337
    const start = now;
    now = start + retry - 1;
    expect((await rl.consume([check])).allowed).toBe(false);
    now = start + retry;
    expect((await rl.consume([check])).allowed).toBe(true);
  });

  it("counts cost > 1 (TPM): retryAfter is the time to drain what does not fit", async () => {
    expect((await rl.consume([tpm(9_000)])).states[0].remaining).toBe(1_000);
    const d = await rl.consume([tpm(3_000)]);
    expect(d.refused).toEqual({
      key: "key:k1:tpm",
      limit: 10_000,
      remaining: 1_000,
      retryAfterMs: 12_000,
      resetMs: 54_000,
    });
    expect((await rl.consume([tpm(1_000)])).allowed).toBe(true); // smaller request still fits
    now += 11_999;
    expect((await rl.consume([tpm(2_999)])).allowed).toBe(false);
    now += 1;
    expect((await rl.consume([tpm(2_000)])).allowed).toBe(true);
  });

  it("refuses cost > limit with retryAfterMs = Infinity (it can never fit), and consumes nothing", async () => {
    const d = await rl.consume([rpm("r", 60), tpm(10_001)]);
    expect(d.allowed).toBe(false);
    expect(d.refused).toMatchObject({ key: "key:k1:tpm", retryAfterMs: Infinity, remaining: 10_000 });
    expect((await rl.consume([rpm("r", 60)])).states[0].remaining).toBe(59);
    expect((await rl.consume([{ key: "z", limit: 0, windowMs: 60_000, cost: 1 }])).refused?.retryAfterMs).toBe(
      Infinity,
    );
  });

  it("cost 0 is always allowed and consumes nothing", async () => {
    await burst(rpm("a", 1), 1);
    expect((await rl.consume([{ ...rpm("a", 1), cost: 0 }])).allowed).toBe(true);
  });

  it("charges a key named twice in one call for both", async () => {
    expect((await rl.consume([rpm("a", 3), rpm("a", 3)])).states.map((s) => s.remaining)).toEqual([2, 1]);
    const d = await rl.consume([rpm("a", 3), rpm("a", 3)]);
    expect(d.allowed).toBe(false);
    expect(d.refused?.retryAfterMs).toBe(20_000); // both units must fit: 1 of them drains in 20 s
  });

  it("refund gives units back (never below empty)", async () => {
    await rl.consume([tpm(8_000)]);
    await rl.refund([tpm(5_000)]);
    expect((await rl.consume([tpm(7_000)])).allowed).toBe(true);
    await rl.refund([tpm(1_000_000)]);
    expect((await rl.consume([tpm(0)])).states[0].remaining).toBe(10_000);
  });

  it("rejects invalid input with RangeError", async () => {
    await expect(rl.consume([{ key: "", limit: 1, windowMs: 1, cost: 1 }])).rejects.toThrow(RangeError);
    await expect(rl.consume([{ key: "k", limit: 1, windowMs: 0, cost: 1 }])).rejects.toThrow(RangeError);
    await expect(rl.consume([{ key: "k", limit: 1, windowMs: 1, cost: -1 }])).rejects.toThrow(RangeError);
    await expect(rl.consume([{ key: "k", limit: NaN, windowMs: 1, cost: 1 }])).rejects.toThrow(RangeError);
    await expect(rl.acquire("k", 1.5, 1000)).rejects.toThrow(RangeError);
    expect(await rl.consume([])).toEqual({ allowed: true, states: [] });
  });
});

describe("MemoryRateLimiter: concurrency slots", () => {
  it("hands out `limit` slots; release frees one; release is idempotent", async () => {
    const leases = await Promise.all(Array.from({ length: 5 }, () => rl.acquire("key:k1:streams", 3, 60_000)));
    expect(leases.filter(Boolean)).toHaveLength(3);
    const held = leases.find(Boolean)!;
    await held.release();
    await held.release();
    expect(await rl.acquire("key:k1:streams", 3, 60_000)).not.toBeNull();
    expect(await rl.acquire("key:k1:streams", 3, 60_000)).toBeNull();
    expect(await rl.acquire("other", 3, 60_000)).not.toBeNull();
    expect(await rl.acquire("zero", 0, 60_000)).toBeNull();
  });

  it("a slot never released frees itself after ttlMs (crashed holder)", async () => {
    expect(await rl.acquire("s", 1, 30_000)).not.toBeNull();
    now += 29_999;
    expect(await rl.acquire("s", 1, 30_000)).toBeNull();
    now += 1;
    expect(await rl.acquire("s", 1, 30_000)).not.toBeNull();
  });
});

describe("MemoryRateLimiter: bounded memory", () => {
  it("evicts meters once drained and slot sets once empty or expired", async () => {
    rl = new MemoryRateLimiter({ now: () => now, sweepIntervalMs: 10_000 });
    for (let i = 0; i < 1_000; i++) await rl.consume([rpm(`key:${i}:rpm`)]);
    const lease = await rl.acquire("streams", 2, 5_000);
    await rl.acquire("streams:lost", 2, 5_000);
    expect(rl.size()).toBe(1_002);
    await lease!.release();
    expect(rl.size()).toBe(1_001);
    now += 999; // each meter holds 1 unit = 1000 ms: not drained yet
    rl.sweep();
    expect(rl.size()).toBe(1_001);
    now += 10_000;
    await rl.consume([rpm("fresh")]); // a call after the sweep interval sweeps
    expect(rl.size()).toBe(1);
  });

  it("caps the number of keys, dropping the least recently used", async () => {
    rl = new MemoryRateLimiter({ now: () => now, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) await rl.consume([rpm(`key:${i}:rpm`, 1)]);
    expect(rl.size()).toBe(100);
    // Recent keys are still limited; long-evicted ones were forgotten (lenient, never stricter).
    expect((await rl.consume([rpm("key:999:rpm", 1)])).allowed).toBe(false);
    expect((await rl.consume([rpm("key:0:rpm", 1)])).allowed).toBe(true);
  });
});
