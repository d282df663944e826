// Redis failures must fail fast and fall back to memory, never stall or fail a request.
import type Redis from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRateLimiter, getRateLimiter, resetRateLimiterForTests, type ClosableRateLimiter } from "./index";
import { FallbackRateLimiter } from "./fallback";
import { MemoryRateLimiter } from "./memory-limiter";
import { readyClient, sleep, startRedisServer, uniquePrefix, type PrivateRedis } from "@/test/redis";

const check = { key: "key:k1:rpm", limit: 3, windowMs: 60_000, cost: 1 };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function limiter(url: string, logs: string[]): ClosableRateLimiter {
  const rl = createRateLimiter({ redisUrl: url, prefix: uniquePrefix("fallback"), log: (m) => logs.push(m) });
  cleanups.push(() => rl.close?.());
  return rl;
}

describe("the deadline under load", () => {
  it("a Redis reply that arrived while the event loop was busy past the deadline still counts", async () => {
    // Redis answers at once, but this process reads the reply only after a synchronous stall longer
    // than the deadline (a busy machine): the deadline's timer fires first in that loop turn.
    const client = await readyClient();
    cleanups.push(() => client.disconnect());
    const logs: string[] = [];
    const fromRedis = { allowed: false, states: [] };
    const primary = {
      consume: async () => {
        const reply = client.ping();
        queueMicrotask(() => {
          const until = performance.now() + 80; // after the deadline's timer is set
          while (performance.now() < until);
        });
        await reply;
        return fromRedis;
      },
      acquire: async () => null,
    };
    const rl = new FallbackRateLimiter(primary, new MemoryRateLimiter(), { deadlineMs: 30, log: (m) => logs.push(m) });
    for (let i = 0; i < 5; i++) expect(await rl.consume([check])).toBe(fromRedis); // memory would admit
    expect(logs).toEqual([]);
  });
});

describe("fallback to memory", () => {
  it("Redis on a closed port: consume and acquire answer within 250 ms from memory; logs once, no password", async () => {
    const logs: string[] = [];
    const rl = limiter("redis://:s3cret-pw@127.0.0.1:1", logs);
    const results: boolean[] = [];
    let slowest = 0;
    for (let i = 0; i < 50; i++) {
      const { value, ms } = await timed(() => rl.consume([check]));
      results.push(value.allowed);
      slowest = Math.max(slowest, ms);
    }
    expect(slowest).toBeLessThan(250);
    expect(results.filter(Boolean)).toHaveLength(3); // the memory limiter enforced the limit
    const { value: lease, ms } = await timed(() => rl.acquire("streams", 1, 60_000));
    expect(lease).not.toBeNull();
    expect(ms).toBeLessThan(250);
    expect(await rl.acquire("streams", 1, 60_000)).toBeNull();
    await rl.refund!([check]);
    await sleep(300); // let reconnect attempts fail a few times
    const fallbackLogs = logs.filter((l) => /limits are enforced per instance/.test(l));
    expect(fallbackLogs).toHaveLength(1);
    expect(logs.filter((l) => /ECONNREFUSED/.test(l))).toHaveLength(1); // the client's 'error' listener, throttled
    expect(logs.join("\n")).not.toContain("s3cret-pw");
  });

  it("getRateLimiter() uses REDIS_URL, is a singleton, and falls back fast when Redis is down", async () => {
    const saved = process.env.REDIS_URL;
    cleanups.push(async () => {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
      await resetRateLimiterForTests();
    });
    await resetRateLimiterForTests();
    process.env.REDIS_URL = "redis://127.0.0.1:1";
    const rl = getRateLimiter();
    expect(rl).toBeInstanceOf(FallbackRateLimiter);
    expect(getRateLimiter()).toBe(rl);
    const { value, ms } = await timed(() => rl.consume([check]));
    expect(value.allowed).toBe(true);
    expect(ms).toBeLessThan(250);
    await resetRateLimiterForTests();
    delete process.env.REDIS_URL;
    expect(getRateLimiter()).not.toBeInstanceOf(FallbackRateLimiter); // memory only
  });

  it("a Redis that hangs (CLIENT PAUSE) costs at most the deadline, then memory answers", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const logs: string[] = [];
    const rl = limiter(server.url, logs);
    expect((await rl.consume([check])).allowed).toBe(true); // via Redis
    const admin = await readyClient(server.url);
    cleanups.push(() => admin.disconnect());
    await admin.call("CLIENT", "PAUSE", "3000", "ALL"); // the server stops answering every client for 3 s
    // The first call waits the deadline (1 s by default, config.ts), the others skip Redis during the cool-down.
    const times: number[] = [];
    for (let i = 0; i < 20; i++) times.push((await timed(() => rl.consume([check]))).ms);
    expect(times[0]).toBeGreaterThanOrEqual(990);
    expect(times[0]).toBeLessThan(1_250);
    expect(Math.max(...times.slice(1))).toBeLessThan(250);
    expect(logs.filter((l) => /Redis unavailable \(no answer within 1000 ms\)/.test(l))).toHaveLength(1);
  });

  it("Redis going away mid-way: fast answers from memory, then shared limits again when it is back", async () => {
    let server: PrivateRedis = await startRedisServer();
    cleanups.push(() => server.stop());
    const logs: string[] = [];
    const prefix = uniquePrefix("midway");
    const rl = createRateLimiter({ redisUrl: server.url, prefix, log: (m) => logs.push(m) });
    cleanups.push(() => rl.close?.());
    const probe = async (): Promise<Redis> => readyClient(server.url);

    const c = { key: "org:o1:rpm", limit: 100, windowMs: 60_000, cost: 1 };
    for (let i = 0; i < 5; i++) expect((await rl.consume([c])).allowed).toBe(true);
    let inspect = await probe();
    expect(Number((await inspect.get(`${prefix}m:${c.key}`))?.split(" ")[0])).toBeGreaterThan(4.9); // counted in Redis
    inspect.disconnect();

    await server.stop(); // SIGKILL
    let slowest = 0;
    let allowed = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1_500) {
      const { value, ms } = await timed(() => rl.consume([c]));
      slowest = Math.max(slowest, ms);
      if (value.allowed) allowed++;
      await sleep(10);
    }
    expect(slowest).toBeLessThan(250);
    expect(allowed).toBeGreaterThan(50); // requests kept flowing (memory: its own 100)
    expect(logs.filter((l) => /limits are enforced per instance/.test(l))).toHaveLength(1);

    server = await startRedisServer(server.port); // same port, empty (no persistence)
    inspect = await probe();
    cleanups.push(() => inspect.disconnect());
    const deadline = performance.now() + 8_000; // reconnect backoff is capped at ~3.1 s
    let backInRedis = false;
    while (!backInRedis && performance.now() < deadline) {
      await rl.consume([c]);
      backInRedis = (await inspect.exists(`${prefix}m:${c.key}`)) === 1;
      await sleep(50);
    }
    expect(backInRedis).toBe(true);
    expect(logs.some((l) => /answers again/.test(l))).toBe(true);
  });
});
