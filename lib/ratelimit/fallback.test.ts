import { beforeEach, describe, expect, it, vi } from "vitest";
import { redactUrl } from "./client";
import { FallbackRateLimiter } from "./fallback";
import { LogThrottle } from "./log-throttle";
import { MemoryRateLimiter } from "./memory-limiter";
import type { ConcurrencyLease, LimitDecision, RateLimiter } from "./types";

const check = { key: "key:k1:rpm", limit: 2, windowMs: 60_000, cost: 1 };
const failing: RateLimiter = {
  consume: () => Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
  acquire: () => Promise.reject(new Error("Connection is closed.")),
  refund: () => Promise.reject(new Error("Connection is closed.")),
};

let now: number;
let logs: string[];
beforeEach(() => {
  now = 0;
  logs = [];
});

function wrap(
  primary: RateLimiter,
  options: { deadlineMs?: number; cooldownMs?: number; instances?: () => number } = {},
) {
  return new FallbackRateLimiter(primary, new MemoryRateLimiter({ now: () => now }), {
    now: () => now,
    log: (m) => logs.push(m),
    ...options,
  });
}

describe("FallbackRateLimiter", () => {
  it("answers from memory when the primary fails, with the memory limiter's limits", async () => {
    const rl = wrap(failing);
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await rl.consume([check])).allowed);
    expect(results).toEqual([true, true, false]);
    expect(await rl.acquire("s", 1, 1000)).not.toBeNull();
    expect(await rl.acquire("s", 1, 1000)).toBeNull();
    await expect(rl.refund([check])).resolves.toBeUndefined();
  });

  it("logs once per minute, not per request, and says how many were held back", async () => {
    const rl = wrap(failing);
    for (let i = 0; i < 500; i++) {
      now = i * 100; // 50 s of traffic
      await rl.consume([check]);
    }
    expect(logs).toHaveLength(1);
    expect(logs[0]).toBe("[ratelimit] Redis unavailable (not connected): limits are enforced per instance, in memory");
    now = 60_000;
    await rl.consume([check]);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toMatch(/499 more since the last report/);
  });

  it("never waits longer than the deadline for a hanging primary, then skips it during the cool-down", async () => {
    let calls = 0;
    const hanging: RateLimiter = {
      consume: () => {
        calls++;
        return new Promise<LimitDecision>(() => {});
      },
      acquire: () => new Promise<ConcurrencyLease | null>(() => {}),
    };
    const rl = wrap(hanging, { deadlineMs: 50, cooldownMs: 1_000 });
    let t0 = performance.now();
    expect((await rl.consume([check])).allowed).toBe(true);
    expect(performance.now() - t0).toBeLessThan(150);
    t0 = performance.now();
    for (let i = 0; i < 100; i++) await rl.consume([check]);
    expect(performance.now() - t0).toBeLessThan(50); // cool-down: straight to memory
    expect(calls).toBe(1);
    now = 1_000; // cool-down over: the primary is tried again
    await rl.consume([check]);
    expect(calls).toBe(2);
  });

  it("waits past the deadline for a primary that keeps answering (a backlog, not a hang)", async () => {
    // One connection, answers in order, 40 ms apart: the sixth answer comes after 240 ms, past four
    // 60 ms deadlines, but something was answered in every period.
    let queue = Promise.resolve();
    let stalled = false;
    const refusedByPrimary: LimitDecision = { allowed: false, states: [] };
    const backlog: RateLimiter = {
      consume: () => {
        if (stalled) return new Promise<LimitDecision>(() => {});
        const answer = queue.then(() => new Promise<LimitDecision>((r) => setTimeout(() => r(refusedByPrimary), 40)));
        queue = answer.then(() => undefined);
        return answer;
      },
      acquire: async () => null,
    };
    const rl = new FallbackRateLimiter(backlog, new MemoryRateLimiter(), { deadlineMs: 60, log: (m) => logs.push(m) });
    const answers = await Promise.all(Array.from({ length: 6 }, () => rl.consume([check])));
    expect(answers.every((a) => a === refusedByPrimary)).toBe(true); // memory would have admitted
    expect(logs).toEqual([]);
    stalled = true; // now a hang: nothing answers any more
    const t0 = performance.now();
    expect((await rl.consume([check])).allowed).toBe(true); // from memory
    expect(performance.now() - t0).toBeLessThan(150);
    expect(logs).toEqual([expect.stringMatching(/Redis unavailable \(no answer within 60 ms\)/)]);
  });

  it("gives back what a late primary took after the deadline (no leaked slot, no double count)", async () => {
    const released = vi.fn(async () => {});
    const refunded = vi.fn(async () => {});
    const slow: RateLimiter = {
      consume: () => new Promise((resolve) => setTimeout(() => resolve({ allowed: true, states: [] }), 80)),
      acquire: () => new Promise((resolve) => setTimeout(() => resolve({ release: released }), 80)),
      refund: refunded,
    };
    const rl = wrap(slow, { deadlineMs: 20, cooldownMs: 0 });
    expect(await rl.acquire("s", 1, 1000)).not.toBeNull(); // from memory
    expect((await rl.consume([check])).allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    expect(released).toHaveBeenCalledTimes(1);
    expect(refunded).toHaveBeenCalledWith([check]);
  });

  it("a lease whose release fails (Redis gone) resolves anyway and logs, throttled", async () => {
    const rl = wrap({
      ...failing,
      acquire: async () => ({ release: () => Promise.reject(new Error("Connection is closed.")) }),
    });
    const lease = await rl.acquire("s", 1, 1000);
    await expect(lease!.release()).resolves.toBeUndefined();
    await expect(lease!.release()).resolves.toBeUndefined();
    expect(logs).toEqual([expect.stringMatching(/slot release failed \(not connected\)/)]);
  });

  it("logs recovery once the primary answers again", async () => {
    let up = false;
    const memory = new MemoryRateLimiter();
    const flaky: RateLimiter = {
      consume: (c) => (up ? memory.consume(c) : Promise.reject(new Error("down"))),
      acquire: (k, l, t) => memory.acquire(k, l, t),
    };
    const rl = wrap(flaky, { cooldownMs: 0 });
    await rl.consume([check]);
    up = true;
    await rl.consume([check]);
    await rl.consume([check]);
    expect(logs).toEqual([expect.stringMatching(/unavailable \(down\)/), expect.stringMatching(/answers again/)]);
  });

  it("throws on invalid input instead of falling back", async () => {
    const rl = wrap(failing);
    await expect(rl.consume([{ ...check, limit: -1 }])).rejects.toThrow(RangeError);
    await expect(rl.acquire("", 1, 1)).rejects.toThrow(RangeError);
  });
});

describe("FallbackRateLimiter: each instance enforces its share while Redis is away", () => {
  const tenPerMinute = { key: "key:k2:rpm", limit: 10, windowMs: 60_000, cost: 1 };

  it("two instances admit limit/2 each, so together no more than the limit; headers show the shared limit", async () => {
    const instances = [wrap(failing, { instances: () => 2 }), wrap(failing, { instances: () => 2 })];
    const decisions = [];
    for (let i = 0; i < 30; i++) decisions.push(await instances[i % 2].consume([tenPerMinute]));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions[0].states[0]).toMatchObject({ limit: 10, remaining: 4 });
    const refused = decisions.find((d) => !d.allowed)!;
    expect(refused.refused).toMatchObject({ key: tenPerMinute.key, limit: 10, remaining: 0 });
    expect(refused.refused!.retryAfterMs).toBeGreaterThan(0);
    expect(Number.isFinite(refused.refused!.retryAfterMs)).toBe(true);
    // The share drains at limit/N per window: 12 s later each instance has one more (60 s / 5).
    now = 12_000;
    expect((await instances[0].consume([tenPerMinute])).allowed).toBe(true);
    expect((await instances[0].consume([tenPerMinute])).allowed).toBe(false);
    expect(logs[0]).toMatch(/at 1\/2 each \(2 instances\)/);
  });

  it("a share of three instances is fractional and still never over the limit", async () => {
    const instances = [0, 1, 2].map(() => wrap(failing, { instances: () => 3 }));
    let admitted = 0;
    for (let i = 0; i < 60; i++) if ((await instances[i % 3].consume([tenPerMinute])).allowed) admitted++;
    expect(admitted).toBe(9); // floor(10/3) each: 3 + 3 + 3
  });

  it("a limit smaller than the instances is refused with a retry after the cool-down, not as too large", async () => {
    const rl = wrap(failing, { instances: () => 2, cooldownMs: 1_000 });
    const one = { ...tenPerMinute, key: "key:k3:rpm", limit: 1 };
    const d = await rl.consume([one]);
    expect(d.allowed).toBe(false);
    expect(d.refused).toMatchObject({ limit: 1, retryAfterMs: 1_000 });
    // A cost the shared limit itself can never fit stays "never" (the gateway answers 400 for it).
    const tpm = { key: "key:k3:tpm", limit: 100, windowMs: 60_000, cost: 101 };
    expect((await rl.consume([tpm])).refused!.retryAfterMs).toBe(Infinity);
    const half = await rl.consume([{ ...tpm, cost: 60 }]); // fits 100, not the share of 50
    expect(half.refused!.retryAfterMs).toBe(1_000);
  });

  it("concurrency slots: floor(limit/N) per instance", async () => {
    const rl = wrap(failing, { instances: () => 2 });
    const leases = [];
    for (let i = 0; i < 3; i++) leases.push(await rl.acquire("slots", 5, 60_000));
    expect(leases.map((l) => l !== null)).toEqual([true, true, false]);
    expect(await rl.acquire("one-slot", 1, 60_000)).toBeNull();
  });
});

describe("log throttle and redaction", () => {
  it("LogThrottle lets one message a minute through", () => {
    let t = 0;
    const out: string[] = [];
    const throttle = new LogThrottle(
      (m) => out.push(m),
      60_000,
      () => t,
    );
    for (t = 0; t < 120_000; t += 1_000) throttle.note("x");
    expect(out).toEqual(["x", "x (59 more since the last report)"]);
  });

  it("redactUrl hides the password and keeps the rest", () => {
    expect(redactUrl("redis://user:s3cret@cache:6380/2")).toBe("redis://user:***@cache:6380/2");
    expect(redactUrl("rediss://:s3cret@cache")).toBe("rediss://:***@cache");
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(redactUrl("not a url s3cret")).toBe("<invalid REDIS_URL>");
  });
});
