// Test helpers for the Redis integration tests (not a test file itself).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import Redis from "ioredis";
import { createRedisClient } from "@/lib/ratelimit/client";

export const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

/** A key prefix no other run uses, so parallel runs on one Redis don't collide. */
export function uniquePrefix(label: string): string {
  return `tf:rltest:${label}:${randomBytes(4).toString("hex")}:`;
}

/** A client with the production (fail-fast) configuration, once ready. Throws, never skips, if Redis is unreachable. */
export async function readyClient(url = REDIS_URL, timeoutMs = 3_000): Promise<Redis> {
  const client = createRedisClient(url, { log: () => {} });
  if (client.status === "ready") return client;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.disconnect();
      reject(new Error(`Redis unreachable at ${url} within ${timeoutMs} ms (integration tests need it)`));
    }, timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return client;
}

export async function deleteByPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length) await client.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A throw-away redis-server (no persistence) on `port`, for tests that kill or flush it. */
export async function startRedisServer(port?: number): Promise<PrivateRedis> {
  const p = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once("error", reject));
  const url = `redis://127.0.0.1:${p}`;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const probe = new Redis(url, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 200,
    });
    probe.on("error", () => {});
    const ok = await Promise.race([
      probe
        .connect()
        .then(() => probe.ping())
        .then(
          () => true,
          () => false,
        ),
      spawnError,
    ]);
    probe.disconnect();
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${p} did not start`);
    }
    await sleep(50);
  }
  return {
    port: p,
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
