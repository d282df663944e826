// Channel base URLs are admin input: refused at save time and at connect time (DESIGN §8).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getStats } from "@/e2e/fake-upstream/client";
import { startStack, type Stack } from "./stack";

let stack: Stack;

beforeAll(async () => {
  // Only 127.0.0.1 is allowed; the fake upstream listens on every loopback address so that a
  // connection the guard failed to stop would really arrive.
  stack = await startStack({ env: { TOKENFLOW_ALLOWED_UPSTREAMS: "127.0.0.1" }, upstreamHost: "0.0.0.0" });
});

afterAll(async () => {
  await stack?.stop();
});

const port = () => stack.upstream.port;

describe("SSRF guard", () => {
  const refused = [
    ["cloud metadata", () => "http://169.254.169.254/latest"],
    ["another loopback address", () => `http://127.0.0.2:${port()}/v1`],
    ["private network", () => "http://10.0.0.1/v1"],
    ["IPv6 loopback", () => `http://[::1]:${port()}/v1`],
    ["IPv4-mapped IPv6 loopback", () => `http://[::ffff:127.0.0.2]:${port()}/v1`],
    ["decimal-encoded IP", () => `http://2130706434:${port()}/v1`],
    ["hex-encoded IP", () => `http://0x7f000002:${port()}/v1`],
    ["octal-encoded IP", () => `http://0177.0.0.2:${port()}/v1`],
    ["unspecified address", () => `http://0.0.0.0:${port()}/v1`],
  ] as const;

  for (const [label, url] of refused) {
    it(`refuses a ${label} base URL at save time`, async () => {
      const res = await stack.admin.request("POST", "/api/admin/channels", {
        name: label,
        provider: "openai",
        baseUrl: url(),
        apiKey: "chan-x",
        models: ["gpt-4o"],
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_base_url");
    });
  }

  it("accepts the allow-listed upstream", async () => {
    const res = await stack.admin.request("POST", "/api/admin/channels", {
      name: "allowed",
      provider: "openai",
      baseUrl: `http://127.0.0.1:${port()}/v1`,
      apiKey: "chan-ok",
      models: ["gpt-4o"],
    });
    expect(res.status).toBe(201);
    await stack.admin.request("DELETE", `/api/admin/channels/${res.body.id}`);
  });

  it("refuses at connect time a forbidden address that got into the database", async () => {
    await stack.admin.disableAllChannels();
    // Simulates a record written around the API (or a DNS answer that changed since it was saved).
    await stack.db.query(
      `INSERT INTO "Channel" (id, name, provider, "baseUrl", models, "modelMapping", priority, weight, status, "createdAt", "updatedAt")
       VALUES ('ch_rogue', 'rogue', 'openai', $1, ARRAY['gpt-4o'], '{}', 0, 1, 'ENABLED', now(), now())`,
      [`http://127.0.0.2:${port()}/v1`],
    );
    const org = await stack.admin.createOrganization("ssrf", "10");
    const client = stack.sdk((await stack.admin.createKey(org.id)).key);
    const before = (await getStats(stack.upstream.url)).total;
    const error = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e);
    expect(error.status).toBe(502);
    expect(JSON.stringify(error.error)).not.toContain("127.0.0.2");
    expect((await getStats(stack.upstream.url)).total).toBe(before); // nothing reached the upstream
  });
});
