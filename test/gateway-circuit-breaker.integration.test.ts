// The circuit breaker per channel, end to end: out of rotation after repeated failures, back after
// a successful probe; a rejected credential disables the channel.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, setScenario } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let channelA: string;

beforeAll(async () => {
  stack = await startStack({ env: { TOKENFLOW_BREAKER_THRESHOLD: "3", TOKENFLOW_BREAKER_COOLDOWN_MS: "1500" } });
  await stack.admin.disableAllChannels();
  channelA = (
    await stack.admin.createChannel({
      name: "A",
      baseUrl: stack.upstream.baseUrl,
      apiKey: "chan-a",
      models: ["gpt-4o"],
      priority: 10,
    })
  ).id;
  await stack.admin.createChannel({
    name: "B",
    baseUrl: stack.upstream.baseUrl,
    apiKey: "chan-b",
    models: ["gpt-4o"],
    priority: 0,
  });
  const org = await stack.admin.createOrganization("Breaker", "100");
  client = stack.sdk((await stack.admin.createKey(org.id)).key);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await clearRequests(stack.upstream.url);
  await clearScenarios(stack.upstream.url);
});

const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hello" }] });

describe("circuit breaker", () => {
  it("takes a failing channel out of rotation and brings it back after recovery", async () => {
    await setScenario(stack.upstream.url, { match: { apiKey: "chan-a" }, fault: "status:500" });
    for (let i = 0; i < 6; i++) await ask();
    // 3 failures open the circuit: the next requests skip A entirely
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-a" })).toHaveLength(3);
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-b" })).toHaveLength(6);

    await clearScenarios(stack.upstream.url); // A recovers
    await new Promise((r) => setTimeout(r, 1700)); // cool-down passes
    await clearRequests(stack.upstream.url);
    for (let i = 0; i < 3; i++) await ask();
    // the probe succeeds and A (higher priority) takes the traffic again
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-a" })).toHaveLength(3);
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-b" })).toHaveLength(0);
  });

  it("disables a channel whose credential the upstream rejects, and says why", async () => {
    await stack.admin.updateChannel(channelA, { apiKey: "bad-key" });
    const completion = await ask();
    expect(completion.choices).toHaveLength(1);
    const { body } = await stack.admin.request("GET", `/api/admin/channels/${channelA}`);
    expect(body.status).toBe("AUTH_FAILED");
    expect(body.disabledReason).toMatch(/401/);
    expect(JSON.stringify(body)).not.toContain("bad-key");
    await clearRequests(stack.upstream.url);
    await ask();
    expect(await getRequests(stack.upstream.url, { apiKey: "bad-key" })).toHaveLength(0);
    await stack.admin.updateChannel(channelA, { apiKey: "chan-a", enabled: true });
  });
});
