// The circuit breaker per channel, end to end: out of rotation after repeated failures, back after
// a successful probe; a rejected credential takes it out only after repeated rejections, and a
// probe brings it back once the credential works again.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clearRequests, clearScenarios, getRequests, setScenario } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let client: OpenAI;
let channelA: string;

beforeAll(async () => {
  stack = await startStack({
    env: {
      TOKENFLOW_BREAKER_THRESHOLD: "3",
      TOKENFLOW_BREAKER_COOLDOWN_MS: "1500",
      TOKENFLOW_BREAKER_AUTH_THRESHOLD: "3",
      TOKENFLOW_BREAKER_AUTH_COOLDOWN_MS: "1500",
    },
  });
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

  it("takes a channel whose credential is rejected out of rotation only after repeated rejections, says why, and probes it back", async () => {
    await stack.admin.updateChannel(channelA, { apiKey: "bad-key" });
    // One rejection (or two) does not eject a channel: a single odd answer must not take it out.
    for (let i = 0; i < 2; i++) expect((await ask()).choices).toHaveLength(1);
    let { body } = await stack.admin.request("GET", `/api/admin/channels/${channelA}`);
    expect(body.health.lastError ?? "").not.toMatch(/401/);
    expect((await ask()).choices).toHaveLength(1); // the third rejection opens the circuit
    ({ body } = await stack.admin.request("GET", `/api/admin/channels/${channelA}`));
    expect(body.status).toBe("ENABLED"); // still configured: it comes back by itself once fixed
    expect(body.health.lastError).toMatch(/401.*out of rotation/);
    expect(JSON.stringify(body)).not.toContain("bad-key");
    expect(await getRequests(stack.upstream.url, { apiKey: "bad-key" })).toHaveLength(3);
    await ask();
    expect(await getRequests(stack.upstream.url, { apiKey: "bad-key" })).toHaveLength(3); // skipped now

    await stack.admin.updateChannel(channelA, { apiKey: "chan-a" }); // the admin fixes the credential
    await new Promise((r) => setTimeout(r, 1700)); // the cool-down passes: the next request probes A
    await clearRequests(stack.upstream.url);
    for (let i = 0; i < 3; i++) await ask();
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-a" })).toHaveLength(3);
    expect(await getRequests(stack.upstream.url, { apiKey: "chan-b" })).toHaveLength(0);
  });
});
