// An operator connects Anthropic in the console: a channel from the Anthropic preset (Messages API,
// x-api-key) pointed at the fake upstream, tested from its page; a tenant's Anthropic-format request
// is then served natively through it.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { getRequests, spawnFakeUpstream, type FakeUpstreamHandle } from "./fake-upstream/client";
import { adminApi, base, createTestAccount, screenshots, signIn } from "./support";

let upstream: FakeUpstreamHandle;
let channelId: string | undefined;
const channelKey = `sk-ant-e2e-${randomBytes(6).toString("hex")}`;

test.beforeAll(async () => {
  upstream = await spawnFakeUpstream();
});

test.afterAll(async () => {
  // Leave the shared database's routing as the other specs expect it.
  if (channelId) await adminApi("DELETE", `/api/admin/channels/${channelId}`).catch(() => undefined);
  await upstream?.stop();
});

test("an admin adds an Anthropic channel from its preset, tests it, and a tenant's /v1/messages request goes through it", async ({
  page,
}) => {
  test.setTimeout(90_000);
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await page.goto(`${base()}/admin/channels/new`);
  await expect(page.getByRole("heading", { name: "Add channel", level: 1 })).toBeVisible();

  await page.getByLabel("Provider preset").selectOption({ label: "Anthropic" });
  await expect(page.getByLabel("Provider", { exact: true })).toHaveValue("anthropic");
  await expect(page.getByLabel("Base URL")).toHaveValue("https://api.anthropic.com/v1");
  await expect(page.getByRole("checkbox", { name: /^claude-sonnet/ })).toBeChecked();
  await expect(page.getByLabel("Upstream name for claude-sonnet")).toHaveValue("claude-sonnet-4-5");
  await page.getByLabel("Name", { exact: true }).fill("E2E Anthropic");
  await page.getByLabel("Base URL").fill(upstream.baseUrl);
  await page.getByLabel("API key", { exact: true }).fill(channelKey);
  await page.getByLabel("Priority").fill("1000");
  await screenshots(page, "admin-channels-new-anthropic");
  await page.getByRole("button", { name: "Create channel" }).click();

  await expect(page).toHaveURL(/\/admin\/channels\/[^/?]+\?created=1$/);
  channelId = new URL(page.url()).pathname.split("/").pop()!;
  await expect(page.getByRole("heading", { name: "E2E Anthropic", level: 1 })).toBeVisible();
  await expect(page.getByText(`Anthropic · ${upstream.baseUrl}`)).toBeVisible();

  // The Test button speaks the Messages API with the channel's own credential header.
  await page.getByRole("button", { name: "Test “E2E Anthropic”" }).click();
  await expect(page.getByTestId("test-result")).toContainText(/Test passed/);
  const [probe] = await getRequests(upstream.url, { apiKey: channelKey });
  expect(probe.path).toBe("/v1/messages");
  expect(probe.headers["anthropic-version"]).toBe("2023-06-01");
  await expect(page.locator("body")).not.toContainText(channelKey);
  await screenshots(page, "admin-channels-anthropic-detail");

  // A tenant's Anthropic-format request is served natively through the new channel.
  const account = await createTestAccount("anthropic", { creditUsd: "5" });
  const { key } = await adminApi<{ key: string }>("POST", `/api/admin/organizations/${account.organizationId}/keys`, {
    name: "anthropic e2e",
  });
  const res = await fetch(`${base()}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet", max_tokens: 50, messages: [{ role: "user", content: "Hello" }] }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const message = (await res.json()) as { type: string; model: string; usage: { cost_usd: string } };
  expect(message.type).toBe("message");
  expect(message.model).toBe("claude-sonnet");
  expect(message.usage.cost_usd).toMatch(/^\d+\.\d+$/);
  const served = await getRequests(upstream.url, { apiKey: channelKey });
  expect(served.at(-1)?.body.model).toBe("claude-sonnet-4-5");
});
