// The instance registry on a real Redis: the count the fallback divides limits by.
import { afterEach, describe, expect, it } from "vitest";
import { InstanceRegistry } from "./instances";
import { readyClient, startRedisServer, uniquePrefix } from "@/test/redis";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function registry(key: string, options: { configured?: number; url?: string } = {}) {
  const client = await readyClient(options.url);
  cleanups.push(() => client.disconnect());
  const logs: string[] = [];
  const r = new InstanceRegistry(client, {
    key,
    intervalMs: 60_000,
    configured: options.configured,
    log: (m) => logs.push(m),
  });
  cleanups.push(() => r.stop());
  return { r, logs };
}

describe("InstanceRegistry", () => {
  it("counts the instances that announced themselves; one that stops leaves at once", async () => {
    const key = uniquePrefix("instances") + "set";
    const first = await registry(key);
    const second = await registry(key);
    expect(first.r.count()).toBe(1); // nothing seen yet: alone
    await first.r.start();
    expect(first.r.count()).toBe(1);
    await second.r.start();
    expect(second.r.count()).toBe(2);
    await first.r.beat();
    expect(first.r.count()).toBe(2);
    expect(first.logs).toEqual([
      "[ratelimit] 1 instance(s) share the limits through Redis",
      "[ratelimit] 2 instance(s) share the limits through Redis",
    ]);
    await second.r.stop();
    await first.r.beat();
    expect(first.r.count()).toBe(1);
  });

  it("keeps the last count while Redis is unavailable, and never counts below TOKENFLOW_INSTANCES", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const key = uniquePrefix("instances") + "set";
    const a = await registry(key, { url: server.url });
    const b = await registry(key, { url: server.url, configured: 3 });
    await a.r.start();
    await b.r.start();
    await a.r.beat();
    expect([a.r.count(), b.r.count()]).toEqual([2, 3]);
    expect(b.logs).toEqual([
      "[ratelimit] 2 instance(s) share the limits through Redis (TOKENFLOW_INSTANCES=3 is used)",
    ]);
    await server.stop();
    await a.r.beat(); // fails: the count stands
    expect(a.r.count()).toBe(2);
  });
});
