// The dashboard's API keys in a real browser: empty state, create with limits (the key shown once),
// edit limits, revoke behind a confirmation, and what a MEMBER of the organization sees.
import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { withClient } from "../test/database";
import { DESKTOP, base, screenshots, signIn } from "./support";

const keyRow = (page: Page, name: string) => page.getByTestId("key-row").filter({ hasText: name });

test.use({ viewport: DESKTOP });

test("an organization without keys says so and offers to create one", async ({ page }) => {
  await signIn(page, process.env.E2E_MEMBER_EMAIL!, process.env.E2E_MEMBER_PASSWORD!); // owner of their workspace
  await page.goto(`${base()}/dashboard/keys`);
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await expect(page.getByText("No API keys yet")).toBeVisible();
  await expect(page.getByRole("link", { name: "Create key" })).toBeVisible();
  await screenshots(page, "keys-empty");
});

test("an admin creates a key with limits, sees it once, edits its limits and revokes it", async ({ page }) => {
  test.setTimeout(120_000); // many steps on a shared two-core machine
  const name = `E2E key ${randomUUID().slice(0, 6)}`;
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await page.goto(`${base()}/dashboard/keys`);
  await page.getByRole("link", { name: "Create key" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create API key" })).toBeVisible();
  await screenshots(page, "keys-create");

  // A bad limit is refused next to its field, the other values kept.
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Requests per minute").fill("0");
  await page.getByRole("button", { name: "Create key" }).click();
  const rpm = page.getByLabel("Requests per minute");
  await expect(rpm).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#rpmLimit-error")).toContainText("Requests per minute must be a whole number");
  await expect(page.getByLabel("Name")).toHaveValue(name);

  await rpm.fill("60");
  await page.getByLabel("Tokens per minute").fill("100000");
  await page.getByRole("checkbox", { name: /GPT-4o/ }).check();
  await page.getByLabel("Spend cap (USD)").fill("5");
  await page.getByLabel("Cap period").selectOption("DAILY");
  await page.getByRole("button", { name: "Create key" }).click();

  const created = page.getByTestId("created-key");
  await expect(created).toBeVisible();
  await expect(created).toContainText("only time it is shown");
  await expect(page.getByRole("button", { name: "Copy key" })).toBeVisible();
  const key = await page.getByLabel("Your new API key").inputValue();
  expect(key).toMatch(/^tf-[A-Za-z0-9_-]{32,}$/);
  // The key is real: the gateway answers it.
  const models = await page.request.get(`${base()}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  expect(models.status()).toBe(200);
  await screenshots(page, "keys-created-once");

  // Never again: not after a reload, not in the list.
  await page.reload();
  await expect(page.getByTestId("created-key")).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
  await page.goto(`${base()}/dashboard/keys`);
  expect(await page.content()).not.toContain(key);
  const row = keyRow(page, name);
  await expect(row.getByTestId("key-partial")).toHaveText(`${key.slice(0, 7)}…${key.slice(-4)}`);
  await expect(row.getByTestId("key-spend")).toContainText("$0.00 of $5.00 this day");
  await expect(row.getByTestId("key-limits")).toContainText("60 requests/min");
  await expect(row.getByTestId("key-limits")).toContainText("models: gpt-4o");
  await expect(row.getByTestId("key-status")).toHaveText("Active");
  await expect(row).toContainText(`by ${"Admin"}`);
  await screenshots(page, "keys-list");

  // Edit limits.
  await row.getByRole("link", { name: `Edit limits of ${name}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Edit “${name}”` })).toBeVisible();
  await expect(page.getByLabel("Requests per minute")).toHaveValue("60");
  await expect(page.getByLabel("Spend cap (USD)")).toHaveValue("5.00");
  await expect(page.getByRole("checkbox", { name: /GPT-4o/ })).toBeChecked();
  expect(await page.content()).not.toContain(key);
  await screenshots(page, "keys-edit");
  await page.getByLabel("Requests per minute").fill("120");
  await page.getByLabel("Spend cap (USD)").fill("10.5");
  await page.getByLabel("Cap period").selectOption("WEEKLY");
  await page.getByRole("checkbox", { name: /GPT-4o/ }).uncheck();
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Limits saved" })).toBeVisible();
  await page.goto(`${base()}/dashboard/keys`);
  await expect(keyRow(page, name).getByTestId("key-limits")).toContainText("120 requests/min");
  await expect(keyRow(page, name).getByTestId("key-limits")).toContainText("all models");
  await expect(keyRow(page, name).getByTestId("key-spend")).toContainText("$0.00 of $10.50 this week");

  // Revoke, behind a confirmation; cancelling changes nothing.
  await keyRow(page, name)
    .getByRole("button", { name: `Revoke “${name}”`, exact: true })
    .click();
  const dialog = page.getByRole("dialog", { name: `Revoke “${name}”?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, name).getByTestId("key-status")).toHaveText("Active");
  await keyRow(page, name).getByRole("button", { name: "Revoke" }).click();
  await dialog.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "is revoked" })).toBeVisible();
  const inactive = page.getByTestId("inactive-keys");
  await inactive.locator("summary").click();
  await expect(keyRow(page, name).getByTestId("key-status")).toHaveText("Revoked");
  await expect(keyRow(page, name).getByRole("button", { name: "Revoke" })).toHaveCount(0);
  const refused = await page.request.get(`${base()}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
});

test("a member sees the organization's keys read-only; admin pages answer 404", async ({ page, context }) => {
  // The admin's workspace, with the member added to it as a MEMBER (no invitation UI in this part).
  const { orgId, keyId } = await withClient(process.env.E2E_DATABASE_URL!, async (client) => {
    const { rows } = await client.query(
      `SELECT o.id AS "orgId", (SELECT k.id FROM "ApiKey" k WHERE k."organizationId" = o.id LIMIT 1) AS "keyId"
         FROM "Organization" o JOIN "Membership" m ON m."organizationId" = o.id JOIN "User" u ON u.id = m."userId"
        WHERE u.email = $1 AND o.personal`,
      [process.env.E2E_ADMIN_EMAIL],
    );
    await client.query(
      `INSERT INTO "Membership" (id, "userId", "organizationId", role)
       SELECT $1, u.id, $2, 'MEMBER' FROM "User" u WHERE u.email = $3 ON CONFLICT DO NOTHING`,
      [randomUUID(), rows[0].orgId, process.env.E2E_MEMBER_EMAIL],
    );
    return rows[0] as { orgId: string; keyId: string };
  });
  await signIn(page, process.env.E2E_MEMBER_EMAIL!, process.env.E2E_MEMBER_PASSWORD!);
  await context.addCookies([{ name: "tf_org", value: orgId, url: base() }]);
  await page.goto(`${base()}/dashboard/keys`);
  await expect(page.getByText("its owners and admins create keys")).toBeVisible();
  await expect(page.getByTestId("key-row").first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Create key" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: /^Edit limits/ })).toHaveCount(0);
  await screenshots(page, "keys-member");
  for (const path of ["/dashboard/keys/new", `/dashboard/keys/${keyId}`]) {
    const res = await page.goto(`${base()}${path}`);
    expect(res?.status(), path).toBe(404);
  }
});

test("another organization's key id answers 404 on the edit page", async ({ page }) => {
  const foreignId = await withClient(process.env.E2E_DATABASE_URL!, async (client) => {
    const { rows } = await client.query(
      `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey")
       SELECT $1, o.id, 'Not yours', $2, 'tf-zzzz…zzzz' FROM "Organization" o WHERE o.name = 'Member''s workspace'
       RETURNING id`,
      [randomUUID(), randomUUID()],
    );
    return rows[0].id as string;
  });
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  const res = await page.goto(`${base()}/dashboard/keys/${foreignId}`);
  expect(res?.status()).toBe(404);
  await expect(page.getByText("Not yours")).toHaveCount(0);
});
