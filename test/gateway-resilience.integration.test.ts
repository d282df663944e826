// Failover, mid-stream failures and client disconnects, end to end.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, setScenario, waitForRequest } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    env: {
      // The breaker has its own test file; here it must not interfere between tests.
      TOKENFLOW_BREAKER_THRESHOLD: "1000",
      TOKENFLOW_FIRST_BYTE_TIMEOUT_MS: "1500",
      TOKENFLOW_IDLE_TIMEOUT_MS: "1500",
      TOKENFLOW_REQUEST_DEADLINE_MS: "4000",
    },
  });
  await stack.admin.disableAllChannels();
  // A is preferred (higher priority), B is the fallback; both point at the fake upstream with
  // different keys so scenarios can break one and not the other.
  await stack.admin.createChannel({
    name: "A",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-a",
    models: ["gpt-4o"],
    priority: 10,
  });
  await stack.admin.createChannel({
    name: "B",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-b",
    models: ["gpt-4o"],
    priority: 0,
  });
  const org = await stack.admin.createOrganization("Resilience", "100");
  client = stack.sdk((await stack.admin.createKey(org.id)).key);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

const ask = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hello" }], ...extra });

describe("failover", () => {
  it("moves to the next channel when the first answers 500, trying it once", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: "chan-a" }, fault: "status:500", times: 1 });
    const completion = await ask();
    expect(completion.choices[0].message.content).toContain("hello");
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-a" })).toHaveLength(1);
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-b" })).toHaveLength(1);
  });

  for (const fault of ["status:429", "status:503", "cut-after:0", "status:404", "redirect:307", "leaky:402"]) {
    it(`fails over on ${fault}`, async () => {
      await setScenario(stack.upstream.url, { match: { apiKey: "chan-a" }, fault, times: 1 });
      const completion = await ask();
      expect(completion.choices).toHaveLength(1);
      expect(await getRequests(stack.upstream.url, { apiKey: "chan-a" })).toHaveLength(1);
      expect(await getRequests(stack.upstream.url, { apiKey: "chan-b" })).toHaveLength(1);
    });
  }

  it("does not retry a 400 about the request, and answers it in its own words", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: "chan-a" }, fault: "status:400", times: 1 });
    const error = await ask().catch((e) => e);
    expect(error, JSON.stringify(error)).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ code: "upstream_invalid_request" });
    expect(error.message).not.toContain("fake upstream error");
    expect(await getRequests(stack.upstream.url)).toHaveLength(1);
  });

  for (const stream of [false, true]) {
    it(`never starts a request the upstream took and went silent on again elsewhere (${stream ? "stream" : "non-stream"})`, async () => {
      await setScenario(stack.upstream.url, { match: { apiKey: "chan-a" }, fault: "hang", times: 1 });
      const error = await (
        stream
          ? client.chat.completions
              .create({ model: "gpt-4o", messages: [{ role: "user", content: "hello" }], stream: true })
              .then(async (s) => {
                for await (const chunk of s) void chunk;
              })
          : ask()
      ).catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.status).toBe(502);
      expect(error.error).toMatchObject({ code: "timeout" });
      // One generation at most: the channel that may be generating is not joined by another one,
      // and the SDK is told not to retry on its own.
      expect(error.headers.get("x-should-retry")).toBe("false");
      expect(await getRequests(stack.upstream.url, { apiKey: "chan-a" })).toHaveLength(1);
      expect(await getRequests(stack.upstream.url, { apiKey: "chan-b" })).toHaveLength(0);
    });
  }

  it("answers an OpenAI-shaped 502 within the deadline when every channel fails", async () => {
    await setScenario(stack.upstream.url, { fault: "status:500" });
    const started = Date.now();
    const error = await ask().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: "api_error", code: "upstream_error" });
    expect(JSON.stringify(error.error)).not.toMatch(/127\.0\.0\.1|chan-/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("gives up at the request deadline when upstreams hang", async () => {
    await setScenario(stack.upstream.url, { fault: "hang" });
    const started = Date.now();
    const error = await ask().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("streaming failures", () => {
  it("ends a stream cut mid-way with an error the SDK raises, without hanging", async () => {
    await setScenario(stack.upstream.url, { fault: "cut-after:3" });
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "long answer" }],
      stream: true,
      max_tokens: 50,
    });
    let received = 0;
    const error = await (async () => {
      for await (const chunk of stream) received += chunk.choices[0]?.delta?.content ? 1 : 0;
    })().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(received).toBe(3);
  });

  it("ends a stream whose upstream goes silent longer than the idle timeout with an error", async () => {
    await setScenario(stack.upstream.url, { fault: "slow-chunks:5000" }); // idle timeout is 1,500 ms here
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "silence" }],
      stream: true,
      max_tokens: 5,
    });
    const error = await (async () => {
      for await (const chunk of stream) void chunk;
    })().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(Date.now() - started).toBeLessThan(4_000); // well before the next chunk would come
  });

  it("closes the upstream connection within 250 ms of the client leaving", async () => {
    await setScenario(stack.upstream.url, { fault: "slow-chunks:50" });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "gpt-4o", messages: [{ role: "user", content: "slow" }], stream: true, max_tokens: 200 },
      { signal: controller.signal },
    );
    let chunks = 0;
    let abortedAt = 0;
    await (async () => {
      for await (const chunk of stream) {
        void chunk;
        if (++chunks === 3) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    })().catch(() => undefined);
    expect(chunks).toBe(3);
    const sent = await waitForRequest(stack.upstream.url, (r) => r.closedAt !== null, { timeoutMs: 2000 });
    expect(sent.closedEarly).toBe(true);
    expect(sent.closedAt! - abortedAt).toBeLessThan(250);
  });
});
