// Cost of one consume: `npx tsx bench/ratelimit.ts` (REDIS_URL, else redis://127.0.0.1:6379).
// 2,000 sequential calls each after 200 warm-up calls; prints p50/p99/max in ms.
import { createRateLimiter } from "@/lib/ratelimit/index";
import { MemoryRateLimiter } from "@/lib/ratelimit/memory-limiter";
import { RedisRateLimiter } from "@/lib/ratelimit/redis-limiter";
import { deleteByPrefix, readyClient, uniquePrefix } from "@/test/redis";
import type { LimitCheck, RateLimiter } from "@/lib/ratelimit/types";

const N = 2_000;
const one = (i: number): LimitCheck[] => [{ key: `key:${i % 50}:rpm`, limit: 1e9, windowMs: 60_000, cost: 1 }];
const gateway = (i: number): LimitCheck[] => [
  { key: `key:${i % 50}:rpm`, limit: 1e9, windowMs: 60_000, cost: 1 },
  { key: `org:${i % 10}:rpm`, limit: 1e9, windowMs: 60_000, cost: 1 },
  { key: `key:${i % 50}:tpm`, limit: 1e12, windowMs: 60_000, cost: 1_500 },
];

async function measure(label: string, call: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await call(i);
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await call(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((x, y) => x - y);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(3);
  console.log(`${label.padEnd(48)} p50 ${q(0.5)}  p99 ${q(0.99)}  max ${ms[ms.length - 1].toFixed(3)} ms`);
}

async function main() {
  const client = await readyClient();
  const prefix = uniquePrefix("bench");
  const redis = new RedisRateLimiter(client, { prefix });
  const wrapped = createRateLimiter({ redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379", prefix });
  const memory = new MemoryRateLimiter();
  const acquireRelease = (rl: RateLimiter) => async (i: number) =>
    (await rl.acquire(`s:${i % 50}`, 1e6, 60_000))?.release();
  try {
    await measure("redis consume, 1 check", (i) => redis.consume(one(i)));
    await measure("redis consume, 3 checks (rpm+org rpm+tpm)", (i) => redis.consume(gateway(i)));
    await measure("getRateLimiter-style (fallback wrapper), 3 checks", (i) => wrapped.consume(gateway(i)));
    await measure("redis acquire + release", acquireRelease(redis));
    await measure("memory consume, 1 check", (i) => memory.consume(one(i)));
    await measure("memory consume, 3 checks", (i) => memory.consume(gateway(i)));
    await measure("memory acquire + release", acquireRelease(memory));
  } finally {
    await deleteByPrefix(client, prefix);
    client.disconnect();
    await wrapped.close?.();
  }
}

void main();
