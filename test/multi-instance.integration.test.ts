// Two instances of the real server behind one Postgres and one Redis (issue 14, "many instances"):
// they share limits exactly (also the very first burst after start), invalidate each other's caches,
// sweep orphaned holds once, and when Redis goes away each enforces only its share of a limit.
// The Redis is this test's own (through a proxy the test can cut), so the instance registry counts
// exactly these two servers and no other test's.
import Redis from "ioredis";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admitHold } from "@/lib/billing/holds";
import { drain, evaluate } from "@/lib/ratelimit/meter";
import { CONSUME } from "@/lib/ratelimit/scripts";
import { readyClient, startRedisServer, type PrivateRedis } from "@/test/redis";
import { startAppServer, type AppServer } from "./app-server";
import { booksOf, expectBooksBalanced, expectProcessSurvived, waitUntil } from "./outage";
import { startStack, type Stack } from "./stack";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

const MODEL = "multi-model";

let redis: PrivateRedis;
let redisProxy: TcpProxy;
let stack: Stack;
let a: AppServer;
let b: AppServer;
let orgId: string;
let channelId: string;
// Keys for the first bursts, made before the second instance starts: the bursts are then the first
// limit checks either instance ever makes.
let rpm60: { id: string; key: string };
let rpm10: { id: string; key: string };
let tpm1000: { id: string; key: string };
let tpmProbe: { id: string; key: string };

beforeAll(async () => {
  redis = await startRedisServer();
  redisProxy = await startTcpProxy({ host: "127.0.0.1", port: redis.port });
  const env = {
    REDIS_URL: redisProxy.urlFor(redis.url),
    // A long cache: only the Redis invalidation can make a change reach the other instance in time.
    TOKENFLOW_CACHE_TTL_MS: "600000",
    TOKENFLOW_SWEEP_INTERVAL_MS: "300",
    TOKENFLOW_INSTANCE_HEARTBEAT_MS: "300",
  };
  stack = await startStack({ env });
  a = stack.app;
  await stack.admin.disableAllChannels();
  await stack.admin.createModel({
    id: MODEL,
    displayName: MODEL,
    provider: "Test",
    inputPriceUsd: "1.000",
    outputPriceUsd: "3.000",
    contextWindow: 8192,
    maxOutputTokens: 400,
    defaultMaxOutputTokens: 20,
  });
  channelId = (
    await stack.admin.createChannel({
      name: "fake",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "chan-multi",
      models: [MODEL],
    })
  ).id;
  orgId = (await stack.admin.createOrganization("Many instances", "500")).id;
  [rpm60, rpm10, tpm1000, tpmProbe] = await Promise.all([
    stack.admin.createKey(orgId, { rpmLimit: 60 }),
    stack.admin.createKey(orgId, { rpmLimit: 10 }),
    stack.admin.createKey(orgId, { tpmLimit: 1000 }),
    stack.admin.createKey(orgId, { tpmLimit: 1000 }),
  ]);
  b = await startAppServer({
    databaseUrl: stack.databaseUrl,
    env: { ...env, TOKENFLOW_ENCRYPTION_KEY: a.encryptionKey, TOKENFLOW_ADMIN_KEY: a.adminKey },
  });
}, 240_000);

afterAll(async () => {
  await b?.stop();
  await stack?.stop();
  await redisProxy?.stop();
  await redis?.stop();
});

const sdk = (app: AppServer, key: string) => new OpenAI({ baseURL: `${app.url}/v1`, apiKey: key, maxRetries: 0 });

async function ask(app: AppServer, key: string, extra: Record<string, unknown> = {}) {
  return sdk(app, key)
    .chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 5,
      fake_output_tokens: 3,
      ...extra,
    } as never)
    .withResponse();
}

/** The HTTP status of one request (200, or the SDK error's status). */
const statusOf = (app: AppServer, key: string, extra?: Record<string, unknown>) =>
  ask(app, key, extra).then(
    () => 200,
    (err: { status?: number }) => err.status ?? -1,
  );

/** `n` requests at once, alternating between the two instances; the statuses and the slowest answer. */
async function burst(key: string, n: number, extra?: Record<string, unknown>) {
  const t0 = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      statusOf(i % 2 ? b : a, key, extra).then((s) => ({ s, ms: performance.now() - t0 })),
    ),
  );
  const count = (status: number) => statuses.filter((x) => x.s === status).length;
  const others = statuses.map((x) => x.s).filter((s) => s !== 200 && s !== 429);
  return {
    ok: count(200),
    limited: count(429),
    other: others.length,
    ...(others.length ? { otherStatuses: [...new Set(others)] } : {}),
    slowestMs: Math.round(Math.max(...statuses.map((x) => x.ms))),
  };
}

/**
 * Nothing but the limit refuses, so at least `limit` are admitted; and no more than one shared meter
 * admits (meter.ts): `limit`, plus what drains at limit/minute while the burst's checks run, which
 * the burst's duration bounds from above. Nothing was counted in either instance's memory.
 */
function expectShared(result: Awaited<ReturnType<typeof burst>>, limit: number) {
  const drained = Math.floor((limit * result.slowestMs) / 60_000);
  expect(result.other, limiterLines()).toBe(0);
  expect(result.ok, limiterLines()).toBeGreaterThanOrEqual(limit);
  expect(result.ok, limiterLines()).toBeLessThanOrEqual(limit + drained);
  expect(a.logs() + b.logs()).not.toMatch(/\[ratelimit\] Redis unavailable/);
}

/**
 * Records, through Redis's MONITOR, when each limit check of one meter key ran in Redis (server time,
 * in execution order): what one shared meter saw, whichever instance sent it. An EVALSHA that came
 * before the script's first EVAL was answered NOSCRIPT and repeated as that EVAL (redis-limiter.ts),
 * so it is not a check.
 */
async function watchChecks(meterKey: string): Promise<{ stop(): Promise<number[]> }> {
  const client = new Redis(redis.url);
  const checks: number[] = [];
  // Scripts already cached (an earlier burst): every EVALSHA is a check.
  let loaded = ((await client.script("EXISTS", CONSUME.sha)) as number[])[0] === 1;
  const monitor = await client.monitor();
  // MONITOR shows a script's text escaped: recognize CONSUME's by a line without special characters.
  const isConsumeSource = (text: unknown) => String(text).includes("local refused = 0");
  monitor.on("monitor", (time: string, args: string[]) => {
    const command = args.slice(0, 2).join(" ").toLowerCase();
    if (command === "script load" && isConsumeSource(args[2])) loaded = true;
    const isEval = command.startsWith("eval ") && isConsumeSource(args[1]);
    const check = isEval || (command === `evalsha ${CONSUME.sha}` && loaded);
    if (isEval) loaded = true;
    if (check && args.slice(3).includes(meterKey)) checks.push(Number(time) * 1000);
  });
  return {
    async stop() {
      monitor.disconnect();
      client.disconnect();
      return checks;
    },
  };
}

/** How many of `checks` (ms, in order) one meter of `limit` per minute admits: what "exact" means. */
function admittedByOneMeter(checks: number[], limit: number): number {
  let state: { level: number; at: number } | undefined;
  let admitted = 0;
  for (const at of checks) {
    const result = evaluate(drain(state, at, limit, 60_000), limit, 60_000, 1);
    if (result.allowed) admitted++;
    state = { level: result.level, at };
  }
  return admitted;
}

describe("limits shared by two instances", () => {
  it("the first burst after start: RPM 60, 120 requests at once over both → 60 admitted, what one meter admits", async () => {
    const watch = await watchChecks(`tf:rl:m:key:${rpm60.id}:rpm`);
    const result = await burst(rpm60.key, 120);
    const checks = await watch.stop();
    const spanMs = checks.length ? checks[checks.length - 1] - checks[0] : NaN;
    console.log(
      `[multi] RPM 60 burst of 120, the first after start: ${JSON.stringify(result)}; ` +
        `${checks.length} checks in Redis over ${spanMs.toFixed(0)} ms`,
    );
    expectShared(result, 60);
    // Every request was checked in Redis, and exactly as many were admitted as one meter admits for
    // those moments: 60, plus one per second the checks themselves took to arrive.
    expect(checks).toHaveLength(120);
    expect(result.ok, limiterLines()).toBe(admittedByOneMeter(checks, 60));
  });

  it("once warm (the key cached by both), 120 at once → 60 (+ one per second the burst lasts)", async () => {
    const { key } = await stack.admin.createKey(orgId, { rpmLimit: 60 });
    // One request on each instance caches the key there: the burst's checks then all run within a
    // moment, with no database lookup in front of them.
    expect([await statusOf(a, key), await statusOf(b, key)]).toEqual([200, 200]);
    const result = await burst(key, 120);
    console.log(`[multi] RPM 60 burst of 120, warm: ${JSON.stringify(result)}`);
    expectShared({ ...result, ok: result.ok + 2 }, 60);
  });

  it("a 10/min key, 30 at once over both → exactly 10", async () => {
    const result = await burst(rpm10.key, 30);
    console.log(`[multi] RPM 10 burst of 30: ${JSON.stringify(result)}`);
    expectShared(result, 10);
    expect(result.ok).toBe(10); // one unit drains every 6 s: the burst is over long before
  });

  it("tokens per minute: a burst admits exactly floor(limit / cost)", async () => {
    const extra = { max_tokens: 150 };
    // One request on a fresh key with the same limit tells the cost of such a request.
    const { response } = await ask(a, tpmProbe.key, extra);
    const cost = 1000 - Number(response.headers.get("x-ratelimit-remaining-tokens"));
    expect(cost).toBeGreaterThan(150);
    const result = await burst(tpm1000.key, 20, extra);
    console.log(`[multi] TPM 1000 burst of 20 (cost ${cost} each): ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ ok: Math.floor(1000 / cost), other: 0 });
  });
});

describe("cache invalidation across instances", () => {
  it("a key revoked through A is refused by B within a second", async () => {
    const { id, key } = await stack.admin.createKey(orgId);
    expect(await statusOf(b, key)).toBe(200); // now cached by B (for 10 minutes)
    const revoked = await stack.admin.request("DELETE", `/api/admin/keys/${id}`); // through A
    expect(revoked.status).toBe(200);
    const ms = await waitUntil(async () => (await statusOf(b, key)) === 401, 1_000, "B to refuse the revoked key");
    console.log(`[multi] revocation through A effective on B after ${ms} ms`);
  });

  it("a price change through A prices B's next request; a channel disabled through A stops B routing to it", async () => {
    const { key } = await stack.admin.createKey(orgId);
    const costOn = async (app: AppServer) => Number((await ask(app, key)).response.headers.get("x-tokenflow-cost-usd"));
    const before = await costOn(b); // B caches the catalog (for 10 minutes)
    expect(before).toBeGreaterThan(0);
    await stack.admin.updateModel(MODEL, { inputPriceUsd: "2.000", outputPriceUsd: "6.000" }); // through A
    await waitUntil(async () => (await costOn(b)) === 2 * before, 1_000, "B to charge the new price");

    await stack.admin.updateChannel(channelId, { enabled: false });
    await waitUntil(async () => (await statusOf(b, key)) === 503, 1_000, "B to stop using the disabled channel");
    await stack.admin.updateChannel(channelId, { enabled: true });
    await waitUntil(async () => (await statusOf(b, key)) === 200, 1_000, "B to use the channel again");
    await stack.admin.updateModel(MODEL, { inputPriceUsd: "1.000", outputPriceUsd: "3.000" });
  });
});

describe("hold sweeping", () => {
  it("both instances sweep; each orphaned hold is released exactly once and the books balance", async () => {
    const org = await stack.admin.createOrganization("Orphans", "1");
    const { id: keyId } = await stack.admin.createKey(org.id);
    const start = await booksOf(stack.db, org.id);
    // Holds a crashed instance left behind: admitted, then never settled, and old.
    for (let i = 0; i < 20; i++)
      expect(
        await admitHold(stack.db, {
          requestId: `orphan_${org.id}_${i}`,
          organizationId: org.id,
          apiKeyId: keyId,
          amountNanos: 1_000_000n,
        }),
      ).toBe("ok");
    expect(await booksOf(stack.db, org.id)).toMatchObject({ heldNanos: 20_000_000n, heldHolds: 20 });
    const releasedBefore = releasedIn(a.logs()) + releasedIn(b.logs());
    await stack.db.query(
      `UPDATE "Hold" SET "createdAt" = "createdAt" - interval '2 hours' WHERE "organizationId" = $1`,
      [org.id],
    );
    await waitUntil(async () => (await booksOf(stack.db, org.id)).heldHolds === 0, 10_000, "the holds to be swept");
    expect(await booksOf(stack.db, org.id)).toEqual({ ...start, heldNanos: 0n, heldHolds: 0 });
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM "Hold" WHERE "organizationId" = $1 AND state = 'RELEASED'`,
      [org.id],
    );
    expect(rows[0].n).toBe(20);
    // The two sweepers together report exactly 20 releases (one instance or the other, never both).
    await new Promise((r) => setTimeout(r, 500));
    expect(releasedIn(a.logs()) + releasedIn(b.logs()) - releasedBefore).toBe(20);
    await expectBooksBalanced(stack.db);
  });
});

/** What both instances logged about Redis and the limits (for a failing assertion's message). */
function limiterLines(): string {
  return [a, b]
    .map(
      (app, i) =>
        `${"AB"[i]}: ${app
          .logs()
          .split("\n")
          .filter((l) => /ratelimit|Redis/.test(l))
          .join("\n   ")}`,
    )
    .join("\n");
}

function releasedIn(logs: string): number {
  return [...logs.matchAll(/released (\d+) orphaned hold/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe("Redis unavailable", () => {
  it("each instance enforces half of a limit, so the two together stay within it", async () => {
    // Both instances know there are two of them (heartbeats in Redis) before Redis goes away.
    for (const app of [a, b])
      await waitUntil(async () => /2 instance\(s\) share the limits/.test(app.logs()), 5_000, "two instances seen");
    const { key } = await stack.admin.createKey(orgId, { rpmLimit: 10 });
    const stale = await stack.admin.createKey(orgId);
    expect(await statusOf(b, stale.key)).toBe(200); // cached by B for 10 minutes
    await redisProxy.setMode("refuse");
    try {
      // Revoked through A while no invalidation can reach B (B's cache TTL bounds it; see below).
      expect((await stack.admin.request("DELETE", `/api/admin/keys/${stale.id}`)).status).toBe(200);
      const result = await burst(key, 30);
      console.log(`[multi] Redis cut, RPM 10 burst of 30: ${JSON.stringify(result)}`);
      expect(result).toMatchObject({ ok: 10, limited: 20, other: 0 }); // 5 on each instance
      for (const app of [a, b]) expect(app.logs()).toMatch(/at 1\/2 each \(2 instances\)/);
      // A limit of 1 cannot be halved: refused on both (429, retry after the cool-down), never doubled.
      const { key: one } = await stack.admin.createKey(orgId, { rpmLimit: 1 });
      const tiny = await burst(one, 4);
      expect(tiny).toMatchObject({ ok: 0, limited: 4 });
    } finally {
      await redisProxy.setMode("pass");
    }
    // Back: both instances count in Redis again (a probe key's meter appears there), and share the
    // limit in full.
    const probe = await stack.admin.createKey(orgId, { rpmLimit: 1000 });
    const inspect = await readyClient(redis.url);
    try {
      for (const app of [a, b])
        await waitUntil(
          async () => {
            await inspect.del(`tf:rl:m:key:${probe.id}:rpm`);
            await statusOf(app, probe.key);
            return (await inspect.exists(`tf:rl:m:key:${probe.id}:rpm`)) === 1;
          },
          15_000,
          "requests counted in Redis again",
        );
    } finally {
      inspect.disconnect();
    }
    const { key: after } = await stack.admin.createKey(orgId, { rpmLimit: 10 });
    expect(await burst(after, 30)).toMatchObject({ ok: 10, limited: 20, other: 0 });
    // B subscribed again and, having maybe missed invalidations, dropped its caches: the key revoked
    // during the outage is refused there now, not after its 10-minute TTL.
    expect(await statusOf(b, stale.key)).toBe(401);
    expectProcessSurvived(a);
    expectProcessSurvived(b);
  }, 60_000);
});
