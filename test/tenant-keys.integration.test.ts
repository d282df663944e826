// Tenant API keys (lib/keys/manage.ts) end to end: keys issued, limited and revoked through the
// domain functions the dashboard uses (run here, in the test process, against the stack's database
// and Redis, as a third instance would), used with the official OpenAI SDK against two production
// servers that share Redis. The cache TTL is long, so only the pub/sub invalidation can make a change
// reach a server in time.
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppServer, type AppServer } from "./app-server";
import { startStack, type Stack } from "./stack";

type Manage = typeof import("@/lib/keys/manage");

let stack: Stack;
let second: AppServer;
let keys: Manage;
let orgId: string;
let otherOrgId: string;
let ownerId: string;
let memberId: string;
const env = { REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", TOKENFLOW_CACHE_TTL_MS: "600000" };

async function addUser(organizationId: string, role: "OWNER" | "ADMIN" | "MEMBER"): Promise<string> {
  const id = randomUUID();
  await stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, 'x', 'USER', now())`,
    [id, `${id}@example.com`],
  );
  await stack.db.query(`INSERT INTO "Membership" (id, "userId", "organizationId", role) VALUES ($1, $2, $3, $4)`, [
    randomUUID(),
    id,
    organizationId,
    role,
  ]);
  return id;
}

beforeAll(async () => {
  stack = await startStack({ env });
  second = await startAppServer({
    databaseUrl: stack.databaseUrl,
    env: { ...env, TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey, TOKENFLOW_ADMIN_KEY: stack.app.adminKey },
  });
  // The domain module reads these when first used: this process acts as one more instance.
  process.env.DATABASE_URL = stack.databaseUrl;
  process.env.REDIS_URL = env.REDIS_URL;
  keys = await import("@/lib/keys/manage");
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({
    name: "fake",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-tenant-keys",
    models: ["gpt-4o", "deepseek-v3"],
  });
  orgId = (await stack.admin.createOrganization("Tenant", "10")).id;
  otherOrgId = (await stack.admin.createOrganization("Other tenant", "10")).id;
  ownerId = await addUser(orgId, "OWNER");
  memberId = await addUser(orgId, "MEMBER");
}, 240_000);

afterAll(async () => {
  const { closeInvalidation } = await import("@/lib/cache/invalidation");
  const { closePrisma } = await import("@/lib/db/client");
  await closeInvalidation();
  await closePrisma();
  await second?.stop();
  await stack?.stop();
});

const owner = () => ({ kind: "member" as const, userId: ownerId, role: "OWNER" as const });
const member = () => ({ kind: "member" as const, userId: memberId, role: "MEMBER" as const });
const client = (url: string, key: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
const ask = (sdk: OpenAI, model = "gpt-4o") =>
  sdk.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (e: { status?: number }) => e.status ?? -1,
  );

/** Polls until `check` passes; returns how long it took (ms), or throws after `withinMs`. */
async function within(withinMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("tenant API keys", () => {
  it("issues a key that works at once on both instances, shown in full only in the create answer", async () => {
    const created = await keys.createApiKey(orgId, owner(), { name: "backend" });
    expect(created.key).toMatch(/^tf-[A-Za-z0-9_-]{32,}$/);
    expect(created.createdBy?.id).toBe(ownerId);
    expect(created.status).toBe("active");
    await expect(ask(client(stack.app.url, created.key))).resolves.toMatchObject({ object: "chat.completion" });
    await expect(ask(client(second.url, created.key))).resolves.toMatchObject({ object: "chat.completion" });
    const listed = await keys.listApiKeys(orgId);
    expect(listed.map((k) => k.id)).toContain(created.id);
    expect(JSON.stringify(listed, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(
      created.key.slice(7, -4),
    );
    const { rows } = await stack.db.query(`SELECT "createdById", "keyHash" FROM "ApiKey" WHERE id = $1`, [created.id]);
    expect(rows[0].createdById).toBe(ownerId);
    expect(rows[0].keyHash).not.toContain(created.key.slice(3));
  });

  it("refuses a member: only owners and admins create, change or revoke keys", async () => {
    await expect(keys.createApiKey(orgId, member(), { name: "mine" })).rejects.toMatchObject({ code: "forbidden" });
    const { id } = await keys.createApiKey(orgId, owner(), { name: "not the member's" });
    await expect(keys.revokeApiKey(orgId, id, member())).rejects.toMatchObject({ code: "forbidden" });
    await expect(keys.updateApiKeyLimits(orgId, id, { rpmLimit: 1 }, member())).rejects.toMatchObject({
      code: "forbidden",
    });
    const { rows } = await stack.db.query(`SELECT "revokedAt", "rpmLimit" FROM "ApiKey" WHERE id = $1`, [id]);
    expect(rows[0]).toEqual({ revokedAt: null, rpmLimit: null });
  });

  it("refuses invalid limits with the field named", async () => {
    await expect(keys.createApiKey(orgId, owner(), { name: "k", rpmLimit: 0 })).rejects.toMatchObject({
      code: "validation_error",
      field: "rpmLimit",
    });
    await expect(
      keys.createApiKey(orgId, owner(), { name: "k", expiresAt: new Date(Date.now() - 60_000) }),
    ).rejects.toMatchObject({ code: "validation_error", field: "expiresAt" });
  });

  it("enforces a daily spend cap with OpenAI's insufficient_quota error, and starts afresh the next day", async () => {
    const capNanos = 250_000n; // $0.00025
    const created = await keys.createApiKey(orgId, owner(), {
      name: "daily capped",
      spendLimitNanos: capNanos,
      spendLimitPeriod: "DAILY",
    });
    const sdk = client(stack.app.url, created.key);
    let refusal: InstanceType<typeof OpenAI.APIError> | undefined;
    let admitted = 0;
    for (let i = 0; i < 40 && !refusal; i++) {
      await ask(sdk).then(
        () => admitted++,
        (e) => (refusal = e),
      );
    }
    expect(admitted).toBeGreaterThan(0);
    expect(refusal).toBeInstanceOf(OpenAI.APIError);
    expect(refusal!.status).toBe(402);
    expect(refusal!.type).toBe("insufficient_quota");
    expect(refusal!.code).toBe("insufficient_quota");
    expect(refusal!.message).toMatch(/spend limit/);
    expect(refusal!.headers?.get("x-should-retry")).toBe("false");

    const { rows } = await stack.db.query(
      `SELECT "spentNanos", "periodSpentNanos", "heldNanos",
              "periodStartsAt" = date_trunc('day', now() AT TIME ZONE 'UTC') AS "countsToday"
         FROM "ApiKey" WHERE id = $1`,
      [created.id],
    );
    expect(rows[0].heldNanos).toBe(0n);
    expect(rows[0].periodSpentNanos).toBe(rows[0].spentNanos);
    expect(rows[0].periodSpentNanos > 0n && rows[0].periodSpentNanos <= capNanos).toBe(true);
    expect(rows[0].countsToday).toBe(true);
    const shown = await keys.getApiKey(orgId, created.id);
    expect(shown.periodSpentNanos).toBe(rows[0].periodSpentNanos);

    // The day's spend was recorded yesterday: a new day, a new allowance (the all-time spend stays).
    await stack.db.query(`UPDATE "ApiKey" SET "periodStartsAt" = "periodStartsAt" - interval '1 day' WHERE id = $1`, [
      created.id,
    ]);
    expect((await keys.getApiKey(orgId, created.id)).periodSpentNanos).toBe(0n);
    expect(await statusOf(ask(sdk))).toBe(200);

    // A total cap of the same size stays spent.
    await keys.updateApiKeyLimits(orgId, created.id, { spendLimitPeriod: "TOTAL" }, owner());
    expect(await statusOf(ask(sdk))).toBe(402);
  });

  it("applies changed limits on both instances at once, and a revoked key gets 401 everywhere within a second", async () => {
    const created = await keys.createApiKey(orgId, owner(), { name: "to limit and revoke" });
    const onFirst = client(stack.app.url, created.key);
    const onSecond = client(second.url, created.key);
    // Both instances now hold the key in their (10-minute) cache.
    expect([await statusOf(ask(onFirst)), await statusOf(ask(onSecond))]).toEqual([200, 200]);

    const updated = await keys.updateApiKeyLimits(
      orgId,
      created.id,
      { allowedModels: ["deepseek-v3"], rpmLimit: 1000, name: "deepseek only" },
      owner(),
    );
    expect(updated).toMatchObject({ name: "deepseek only", allowedModels: ["deepseek-v3"], rpmLimit: 1000 });
    for (const sdk of [onFirst, onSecond]) {
      await within(1_000, async () => (await statusOf(ask(sdk))) === 403);
      await expect(ask(sdk, "deepseek-v3")).resolves.toMatchObject({ object: "chat.completion" });
    }

    const revoked = await keys.revokeApiKey(orgId, created.id, owner());
    expect(revoked.alreadyRevoked).toBe(false);
    const tookFirst = await within(1_000, async () => (await statusOf(ask(onFirst, "deepseek-v3"))) === 401);
    const tookSecond = await within(1_000, async () => (await statusOf(ask(onSecond, "deepseek-v3"))) === 401);
    expect(tookFirst + tookSecond).toBeLessThan(1_000);
    await expect(ask(onSecond, "deepseek-v3")).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    // Idempotent: the first revocation time stays.
    const again = await keys.revokeApiKey(orgId, created.id, owner());
    expect(again).toEqual({ id: created.id, revokedAt: revoked.revokedAt, alreadyRevoked: true });
    expect((await keys.getApiKey(orgId, created.id)).status).toBe("revoked");
    expect((await keys.listApiKeys(orgId, { status: "active" })).map((k) => k.id)).not.toContain(created.id);
    expect((await keys.listApiKeys(orgId, { status: "inactive" })).map((k) => k.id)).toContain(created.id);
  });

  it("answers not found for another organization's key, and changes nothing", async () => {
    const theirs = await keys.createApiKey(otherOrgId, { kind: "platform", userId: null }, { name: "theirs" });
    await expect(keys.getApiKey(orgId, theirs.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(keys.updateApiKeyLimits(orgId, theirs.id, { rpmLimit: 1 }, owner())).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(keys.revokeApiKey(orgId, theirs.id, owner())).rejects.toMatchObject({ code: "not_found" });
    const { rows } = await stack.db.query(`SELECT "revokedAt", "rpmLimit" FROM "ApiKey" WHERE id = $1`, [theirs.id]);
    expect(rows[0]).toEqual({ revokedAt: null, rpmLimit: null });
    expect(await statusOf(ask(client(second.url, theirs.key)))).toBe(200);
    expect((await keys.listApiKeys(orgId)).map((k) => k.id)).not.toContain(theirs.id);
  });

  it("keeps the platform's admin-scope keys out of a tenant's reach", async () => {
    const { rows } = await stack.db.query(
      `INSERT INTO "ApiKey" (id, "organizationId", name, scope, "keyHash", "partialKey")
       VALUES ($1, $2, 'operator', 'ADMIN', $3, 'tf-xxxx…yyyy') RETURNING id`,
      [randomUUID(), orgId, randomUUID()],
    );
    await expect(keys.revokeApiKey(orgId, rows[0].id, owner())).rejects.toMatchObject({ code: "not_found" });
    expect((await keys.listApiKeys(orgId)).map((k) => k.id)).not.toContain(rows[0].id);
  });
});
