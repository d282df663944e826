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

function wrap(primary: RateLimiter, options: { deadlineMs?: number; cooldownMs?: number } = {}) {
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
