// The admin's channels console as an operator uses it: add a channel from a preset pointing at an
// upstream (the fake, spawned here: global setup does not start one), test it, watch a tenant's
// traffic appear in its health, disable it and see the traffic fail over to another channel, delete it.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { getRequests, spawnFakeUpstream, type FakeUpstreamHandle } from "./fake-upstream/client";
import { adminApi, base, createTestAccount, screenshots, signIn } from "./support";

let upstream: FakeUpstreamHandle;
const created: string[] = [];
const primaryKey = `chan-e2e-primary-${randomBytes(6).toString("hex")}`;
const backupKey = `chan-e2e-backup-${randomBytes(6).toString("hex")}`;

test.beforeAll(async () => {
  upstream = await spawnFakeUpstream();
});

test.afterAll(async () => {
  // Leave the shared database's routing as the other specs expect it.
  for (const id of created) await adminApi("DELETE", `/api/admin/channels/${id}`).catch(() => undefined);
  await upstream?.stop();
});

async function tenantKey(): Promise<string> {
  const account = await createTestAccount("channels", { creditUsd: "5" });
  const key = await adminApi<{ key: string }>("POST", `/api/admin/organizations/${account.organizationId}/keys`, {
    name: "channels e2e",
  });
  return key.key;
}

async function chat(key: string): Promise<void> {
  const res = await fetch(`${base()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Hello through the new channel" }] }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

test("an admin adds a channel from a preset, tests it, sees its traffic, disables it (traffic fails over) and deletes it", async ({
  page,
}) => {
  test.setTimeout(90_000);
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);

  await page.goto(`${base()}/admin/channels`);
  await expect(page.getByRole("heading", { name: "Channels", level: 1 })).toBeVisible();
  await page.getByRole("link", { name: "Add channel" }).click();
  await expect(page.getByRole("heading", { name: "Add channel", level: 1 })).toBeVisible();

  // The preset fills the provider, base URL, models and upstream names.
  await page.getByLabel("Provider preset").selectOption({ label: "OpenAI" });
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("OpenAI");
  await expect(page.getByLabel("Base URL")).toHaveValue("https://api.openai.com/v1");
  await expect(page.getByRole("checkbox", { name: /^gpt-4o/ })).toBeChecked();
  await expect(page.getByLabel("Upstream name for gpt-4o")).toHaveValue("gpt-4o");
  await expect(page.getByLabel("Output cap field")).toHaveValue("max_completion_tokens");
  // … pointed at our upstream (127.0.0.1 is allowed by TOKENFLOW_ALLOWED_UPSTREAMS on this server).
  await page.getByLabel("Name", { exact: true }).fill("E2E primary");
  await page.getByLabel("Base URL").fill(upstream.baseUrl);
  await page.getByLabel("API key", { exact: true }).fill(primaryKey);
  await page.getByLabel("Priority").fill("1000");
  await screenshots(page, "admin-channels-new");
  await page.getByRole("button", { name: "Create channel" }).click();

  await expect(page).toHaveURL(/\/admin\/channels\/[^/?]+\?created=1$/);
  const primaryId = new URL(page.url()).pathname.split("/").pop()!;
  created.push(primaryId);
  await expect(page.getByRole("heading", { name: "E2E primary", level: 1 })).toBeVisible();
  await expect(page.getByText("Channel created and in rotation")).toBeVisible();
  await expect(page.getByTestId("key-last4")).toHaveText(`••••${primaryKey.slice(-4)}`);
  await expect(page.locator("body")).not.toContainText(primaryKey);

  // Test: a real one-token request through the SSRF guard.
  await page.getByRole("button", { name: "Test “E2E primary”" }).click();
  await expect(page.getByTestId("test-result")).toContainText(/Test passed: answered in \d[\d,]* ms/);
  expect((await getRequests(upstream.url, { apiKey: primaryKey })).length).toBe(1);

  // A second channel for the same model, one tier lower: where traffic goes when the first is disabled.
  const backup = await adminApi<{ id: string }>("POST", "/api/admin/channels", {
    name: "E2E backup",
    provider: "openai",
    baseUrl: upstream.baseUrl,
    apiKey: backupKey,
    models: ["gpt-4o"],
    priority: 900,
  });
  created.push(backup.id);

  // A tenant's requests are served through the new channel and show in its health.
  const key = await tenantKey();
  for (let i = 0; i < 3; i++) await chat(key);
  expect((await getRequests(upstream.url, { apiKey: primaryKey })).length).toBe(4);
  expect(await getRequests(upstream.url, { apiKey: backupKey })).toHaveLength(0);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("health-requests")).toContainText("3", { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByTestId("health-success")).toContainText("100%");
  await expect(page.getByTestId("rotation")).toHaveText("In rotation");
  await screenshots(page, "admin-channels-detail");

  await page.goto(`${base()}/admin/channels`);
  const row = page.getByTestId(`channel-${primaryId}`);
  await expect(row.getByTestId("health-requests")).toContainText("3");
  await page.getByRole("button", { name: "Test all" }).click();
  await expect(page.getByTestId("test-all-summary")).toContainText(/answered/, { timeout: 20_000 });
  await expect(row.getByTestId("test-result")).toContainText("Test passed");
  await screenshots(page, "admin-channels-list");

  // Disable it: the tenant's next requests fail over to the backup.
  await page.goto(`${base()}/admin/channels/${primaryId}`);
  await page.getByRole("button", { name: "Disable channel" }).click();
  await expect(page.getByTestId("rotation")).toHaveText("Disabled");
  await expect(page.getByRole("button", { name: "Enable channel" })).toBeVisible();
  const primaryBefore = (await getRequests(upstream.url, { apiKey: primaryKey })).length;
  const backupBefore = (await getRequests(upstream.url, { apiKey: backupKey })).length; // "Test all" probed it
  for (let i = 0; i < 2; i++) await chat(key);
  expect((await getRequests(upstream.url, { apiKey: primaryKey })).length).toBe(primaryBefore);
  expect((await getRequests(upstream.url, { apiKey: backupKey })).length).toBe(backupBefore + 2);
  await page.goto(`${base()}/admin/channels`);
  await expect(row.getByTestId("rotation-note")).toContainText(`Disabled by ${process.env.E2E_ADMIN_EMAIL}`);
  await expect(page.getByTestId(`channel-${backup.id}`).getByTestId("health-requests")).toContainText("2");

  // Delete, behind a confirmation.
  await page.goto(`${base()}/admin/channels/${primaryId}`);
  await page.getByRole("button", { name: "Delete channel" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete “E2E primary”?" });
  await expect(dialog).toBeVisible();
  await screenshots(page, "admin-channels-delete");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(page).toHaveURL(/\/admin\/channels\?deleted=/);
  await expect(page.getByText("Channel “E2E primary” is deleted")).toBeVisible();
  await expect(page.getByTestId(`channel-${primaryId}`)).toHaveCount(0);
});
