// Per-key and per-organization limits and cache invalidation, end to end, shared by two gateway
// instances through Redis.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppServer, type AppServer } from "./app-server";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let second: AppServer;
let orgId: string;
// Limiter keys are made of key and organization ids, unique to this test's database. A long cache
// TTL: only the Redis invalidation can make a revocation reach the other instance in time.
const env = { REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", TOKENFLOW_CACHE_TTL_MS: "600000" };

beforeAll(async () => {
  stack = await startStack({ env });
  second = await startAppServer({
    databaseUrl: stack.databaseUrl,
    env: { ...env, TOKENFLOW_ENCRYPTION_KEY: stack.app.encryptionKey, TOKENFLOW_ADMIN_KEY: stack.app.adminKey },
  });
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({
    name: "fake",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-limits",
    models: ["gpt-4o"],
  });
  orgId = (await stack.admin.createOrganization("Limited", "100")).id;
}, 180_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
});

const sdk = (url: string, key: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
const ask = (client: OpenAI, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 5,
    ...extra,
  } as never);

describe("rate limits", () => {
  it("enforces requests per minute across two instances, with OpenAI's 429 shape", async () => {
    const { key } = await stack.admin.createKey(orgId, { rpmLimit: 5 });
    const clients = [sdk(stack.app.url, key), sdk(second.url, key)];
    const statuses: number[] = [];
    let refusal: InstanceType<typeof OpenAI.RateLimitError> | undefined;
    for (let i = 0; i < 8; i++) {
      statuses.push(
        await ask(clients[i % 2]).then(
          () => 200,
          (e) => {
            refusal = e;
            return e.status;
          },
        ),
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    // Successful answers carry the limit's state too, as OpenAI's do.
    const { key: other } = await stack.admin.createKey(orgId, { rpmLimit: 5 });
    const { response } = await sdk(stack.app.url, other)
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 5 })
      .withResponse();
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("5");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("4");
    expect(refusal).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refusal!.message).toMatch(
      /Rate limit exceeded for this API key: 5 requests per minute\. Try again in \d+(\.\d)?s\./,
    );
    expect(refusal!.headers?.get("retry-after")).toMatch(/^\d+$/);
    expect(refusal!.headers?.get("x-ratelimit-limit-requests")).toBe("5");
    expect(refusal!.headers?.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(refusal!.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
  });

  it("limits concurrent requests per key and frees the slot when a stream ends", async () => {
    const { key } = await stack.admin.createKey(orgId, { maxConcurrency: 1 });
    const client = sdk(stack.app.url, key);
    const slow = (await ask(client, {
      stream: true,
      fake_output_tokens: 10,
      fake_chunk_delay_ms: 50,
    })) as unknown as AsyncIterable<unknown>;
    const iterator = slow[Symbol.asyncIterator]();
    await iterator.next();
    const refused = await ask(sdk(second.url, key)).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.message).toContain("Too many concurrent requests");
    while (!(await iterator.next()).done);
    await expect(ask(client)).resolves.toBeTruthy();
  });

  it("counts tokens per minute from the prompt estimate and the output cap", async () => {
    const { key } = await stack.admin.createKey(orgId, { tpmLimit: 200 });
    const client = sdk(stack.app.url, key);
    await ask(client, { max_tokens: 100 }); // ~100 tokens
    const refused = await ask(client, { max_tokens: 150 }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.error.type).toBe("tokens");
    expect(refused.headers.get("x-ratelimit-limit-tokens")).toBe("200");
    const tooBig = await ask(client, { max_tokens: 500 }).catch((e) => e);
    expect(tooBig).toBeInstanceOf(OpenAI.BadRequestError); // can never fit: waiting would not help
  });

  it("enforces the organization's requests per minute over all its keys", async () => {
    const org = await stack.admin.createOrganization("Org-limited", "10");
    expect(
      (await stack.admin.request("PATCH", `/api/admin/organizations/${org.id}`, { rpmLimit: 3 })).body.rpmLimit,
    ).toBe(3);
    const keys = await Promise.all([stack.admin.createKey(org.id), stack.admin.createKey(org.id)]);
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        await ask(sdk(stack.app.url, keys[i % 2].key)).then(
          () => 200,
          (e) => e.status,
        ),
      );
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it("does not count a request refused for money against the rate limit", async () => {
    const poor = await stack.admin.createOrganization("Poor-limited");
    const { key } = await stack.admin.createKey(poor.id, { rpmLimit: 2 });
    const client = sdk(stack.app.url, key);
    for (let i = 0; i < 4; i++) expect(await ask(client).catch((e) => e.status)).toBe(402);
  });
});

describe("cache invalidation across instances", () => {
  it("a key revoked on one instance is refused by the other at once", async () => {
    const { id, key } = await stack.admin.createKey(orgId);
    const onSecond = sdk(second.url, key);
    await ask(onSecond); // now cached by the second instance
    expect((await stack.admin.request("DELETE", `/api/admin/keys/${id}`)).status).toBe(200); // via the first
    await new Promise((r) => setTimeout(r, 100)); // pub/sub delivery
    await expect(ask(onSecond)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("an organization disabled on one instance is refused by the other at once", async () => {
    const org = await stack.admin.createOrganization("To disable", "1");
    const { key } = await stack.admin.createKey(org.id);
    const onSecond = sdk(second.url, key);
    await ask(onSecond);
    await stack.admin.request("PATCH", `/api/admin/organizations/${org.id}`, { disabled: true });
    await new Promise((r) => setTimeout(r, 100));
    await expect(ask(onSecond)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await stack.admin.request("PATCH", `/api/admin/organizations/${org.id}`, { disabled: false });
    await new Promise((r) => setTimeout(r, 100));
    await expect(ask(onSecond)).resolves.toBeTruthy();
  });

  it("a model disabled on one instance disappears from the other at once", async () => {
    const { key } = await stack.admin.createKey(orgId);
    const onSecond = sdk(second.url, key);
    await ask(onSecond);
    await stack.admin.updateModel("gpt-4o", { enabled: false });
    await new Promise((r) => setTimeout(r, 100));
    await expect(ask(onSecond)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await stack.admin.updateModel("gpt-4o", { enabled: true });
  });
});
