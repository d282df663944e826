// Redis fails every way it can (killed, its port closed, connections that go silent), also before the
// server ever reached it: no Redis error reaches the process, /v1 keeps answering promptly with
// limits counted in memory, admin writes (which publish cache invalidations) still work, and the
// limits are shared through Redis again once it is back.
import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteByPrefix, readyClient, startRedisServer, type PrivateRedis } from "@/test/redis";
import { freePort, startAppServer, type AppServer } from "./app-server";
import { chat, createFakeModel, expectProcessSurvived, percentile, waitUntil } from "./outage";
import { startStack, type Stack } from "./stack";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

const MODEL = "redis-outage-model";
// A Redis call may add 1 s (the fallback's deadline, TOKENFLOW_REDIS_TIMEOUT_MS), never a stall
// (ioredis's defaults: ~10 s); the rest is a cold server answering 16 at once on a busy machine.
const BURST_DEADLINE_MS = 3_000;

let redis: PrivateRedis;
let redisProxy: TcpProxy;
let stack: Stack;
let orgId: string;
let second: AppServer | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
  redisProxy = await startTcpProxy({ host: "127.0.0.1", port: redis.port });
  stack = await startStack({ env: { REDIS_URL: redisProxy.urlFor(redis.url) } });
  await createFakeModel(stack, MODEL);
  orgId = (await stack.admin.createOrganization("redis-outage", "100")).id;
}, 120_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
  await redisProxy?.stop();
  await redis?.stop();
});

/** A key whose every request goes through the limiter: requests per minute and concurrency. */
async function limitedKey(): Promise<{ id: string; key: string }> {
  // 300/min: a burst never hits the limit, and each request stays counted for 200 ms, so a burst of
  // 16 is still visible in Redis after it ends even on a slow machine.
  return stack.admin.createKey(orgId, { rpmLimit: 300, maxConcurrency: 100 });
}

/** 16 concurrent requests: all served, none slowed down by Redis beyond the fallback's deadline. */
async function expectBurstServed(app: AppServer, key: string, label: string) {
  const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => chat(app, key, MODEL, `${label}-${i}`)));
  const times = answers.map((a) => a.ms);
  console.log(`[redis:${label}] p50 ${percentile(times, 50).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  expect(Math.max(...times)).toBeLessThan(BURST_DEADLINE_MS);
}

/**
 * The key's requests-per-minute counter is in Redis (the limiter is using it). A meter drains at
 * limit/min and expires once empty: at 300/min a request stays counted for 200 ms per unit.
 */
async function countedInRedis(client: Redis, apiKeyId: string): Promise<boolean> {
  return (await client.exists(`tf:rl:m:key:${apiKeyId}:rpm`)) === 1;
}

async function withRedisClient<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = await readyClient(redis.url);
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

describe("Redis outages", () => {
  it("killed, refused and silent Redis: /v1 and admin writes go on, the process never sees an error", async () => {
    const up = await limitedKey();
    await expectBurstServed(stack.app, up.key, "up");
    expect(await withRedisClient((c) => countedInRedis(c, up.id))).toBe(true);

    // Killed.
    const port = redis.port;
    await redis.stop();
    await expectBurstServed(stack.app, up.key, "killed");
    expect((await stack.admin.request("PATCH", `/api/admin/models/${MODEL}`, { displayName: "x" })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500)); // reconnect attempts meanwhile
    await expectBurstServed(stack.app, up.key, "killed-later");
    expectProcessSurvived(stack.app);

    // Back on the same port: limits are shared through Redis again, without a restart.
    redis = await startRedisServer(port);
    const back = await limitedKey();
    const backInMs = await waitUntil(
      async () => {
        await chat(stack.app, back.key, MODEL, "back");
        return withRedisClient((c) => countedInRedis(c, back.id));
      },
      10_000,
      "requests counted in Redis again",
    );
    console.log(`[redis] counted in Redis again ${backInMs} ms after it restarted`);

    // Its port closed (connections refused and reset).
    await redisProxy.setMode("refuse");
    await expectBurstServed(stack.app, up.key, "refused");
    expect((await stack.admin.request("PATCH", `/api/admin/models/${MODEL}`, { displayName: "y" })).status).toBe(200);
    await redisProxy.setMode("pass");

    // Silent: connections accepted, open ones frozen, nothing answers.
    await waitUntil(
      async () => {
        await chat(stack.app, back.key, MODEL, "before-hang");
        return withRedisClient(async (c) => {
          await deleteByPrefix(c, `tf:rl:m:key:${back.id}`);
          await chat(stack.app, back.key, MODEL, "before-hang");
          return countedInRedis(c, back.id);
        });
      },
      10_000,
      "Redis in use before it goes silent",
    );
    await redisProxy.setMode("hang");
    await expectBurstServed(stack.app, up.key, "silent");
    expect((await stack.admin.request("PATCH", `/api/admin/models/${MODEL}`, { displayName: "z" })).status).toBe(200);
    await expectBurstServed(stack.app, up.key, "silent-later");
    await redisProxy.setMode("pass");

    const after = await limitedKey();
    await waitUntil(
      async () => {
        await chat(stack.app, after.key, MODEL, "after");
        return withRedisClient((c) => countedInRedis(c, after.id));
      },
      10_000,
      "requests counted in Redis after the silence",
    );
    expect(stack.app.logs()).toMatch(/\[ratelimit\] Redis unavailable/);
    expectProcessSurvived(stack.app);
  }, 60_000);

  it("a server whose Redis was never reachable starts and serves", async () => {
    second = await startAppServer({
      databaseUrl: stack.databaseUrl,
      env: {
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        TOKENFLOW_ADMIN_KEY: stack.app.adminKey,
        TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey,
      },
    });
    const { key } = await limitedKey();
    await expectBurstServed(second, key, "never-reachable");
    const patch = await fetch(`${second.url}/api/admin/models/${MODEL}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${second.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ displayName: "from the second server" }),
    });
    expect(patch.status).toBe(200);
    expectProcessSurvived(second);
    expectProcessSurvived(stack.app);
  }, 60_000);
});
