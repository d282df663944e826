// A new user's whole first hour, in a real browser against the production server: sign up → the
// personal organization exists → create a key (shown once) → the official `openai` SDK calls
// /v1/chat/completions with it (credit added through the management API, i.e. the ledger) → the
// request is in the log with its receipt → the usage chart and table show the spend → the CSV
// export's totals equal the charges → revoke → the SDK gets 401.
import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { withClient } from "../test/database";
import { adminApi, base, settled, usdToNanos } from "./support";

test.use({ viewport: { width: 1280, height: 900 } });

async function ledgerCharges(organizationId: string): Promise<bigint> {
  return withClient(process.env.E2E_DATABASE_URL!, async (client) => {
    const { rows } = await client.query<{ charged: string }>(
      `SELECT COALESCE(-SUM("amountNanos"), 0)::text AS charged FROM "LedgerEntry"
        WHERE "organizationId" = $1 AND kind = 'USAGE'`,
      [organizationId],
    );
    return BigInt(rows[0].charged);
  });
}

async function createKey(page: Page, name: string): Promise<string> {
  await page.getByRole("link", { name: "API keys" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await expect(page.getByText("No API keys yet")).toBeVisible();
  await page.getByRole("link", { name: "Create key" }).first().click();
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByTestId("created-key")).toContainText("only time it is shown");
  return page.getByLabel("Your new API key").inputValue();
}

test("sign up, create a key, call the API with the SDK, see it in the log, usage and CSV, revoke", async ({ page }) => {
  test.setTimeout(180_000); // scrypt at sign-up and a dozen pages on a shared two-core machine
  const email = `journey-${randomUUID().slice(0, 8)}@example.com`;
  const password = `Journey-${randomUUID()}`;

  // Sign up: straight into the dashboard, in a personal organization.
  await page.goto(`${base()}/signup`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(email, { timeout: 60_000 });
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  const organization = await withClient(process.env.E2E_DATABASE_URL!, async (client) => {
    const { rows } = await client.query<{ id: string; role: string; personal: boolean }>(
      `SELECT o.id, m.role, o.personal FROM "Organization" o
         JOIN "Membership" m ON m."organizationId" = o.id JOIN "User" u ON u.id = m."userId"
        WHERE u.email = $1`,
      [email],
    );
    return rows;
  });
  expect(organization).toHaveLength(1);
  expect(organization[0]).toMatchObject({ role: "OWNER", personal: true });
  const organizationId = organization[0].id;
  await expect(page.locator("aside").getByLabel("Organization")).toContainText("(personal)");

  // A key, shown once.
  const key = await createKey(page, "Journey key");
  expect(key).toMatch(/^tf-/);

  // Credit through the management API (the ledger), then the official SDK with the new key.
  await adminApi("POST", `/api/admin/organizations/${organizationId}/credits`, {
    amountUsd: "2.50",
    note: "journey test credit",
    reference: `journey-${organizationId}`,
  });
  const openai = new OpenAI({ apiKey: key, baseURL: `${base()}/v1`, maxRetries: 0 });
  const completion = await openai.chat.completions.create({
    model: "deepseek-v3",
    messages: [{ role: "user", content: "Say hello to a new TokenFlow user." }],
  });
  expect(completion.choices[0].message.content?.length).toBeGreaterThan(0);
  const stream = await openai.chat.completions.create({
    model: "auto",
    messages: [{ role: "user", content: "Count to three." }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let streamed = "";
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
  expect(streamed.length).toBeGreaterThan(0);
  await settled(organizationId);
  const charged = await ledgerCharges(organizationId);
  expect(charged).toBeGreaterThan(0n);

  // The request log shows both receipts; the first one's receipt page prices it.
  await page.getByRole("link", { name: "Request log" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Request log" })).toBeVisible();
  await expect(page.getByTestId("request-row")).toHaveCount(2);
  await expect(page.getByTestId("request-log-table")).toContainText("Journey key");
  await page.getByTestId("request-row").last().getByRole("link").first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Receipt" })).toBeVisible();
  await expect(page.getByTestId("receipt-lines")).toContainText("Output tokens");
  const receiptCharged = usdToNanos((await page.getByTestId("receipt-charged").innerText()).trim().replace("$", ""));
  expect(receiptCharged).toBeGreaterThan(0n);

  // Usage: chart drawn, two requests, total equal to the ledger's charges.
  await page.getByRole("link", { name: "Usage" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Usage" })).toBeVisible();
  await expect(page.getByTestId("spend-chart").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("total-requests")).toContainText("2");
  await expect(page.getByTestId("model-row").first()).toBeVisible();

  // CSV export: one row per request, cost_usd adds up to the charges exactly.
  await page.getByRole("link", { name: "Request log" }).first().click();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  const csv = Buffer.concat(await (await download.createReadStream()).toArray()).toString("utf8");
  const [header, ...rows] = csv.trim().split("\r\n");
  const columns = header.split(",");
  for (const column of ["request_id", "created_at", "key", "model", "input_tokens", "cached_input_tokens"])
    expect(columns).toContain(column);
  expect(columns).toContain("output_tokens");
  expect(columns).toContain("cost_usd");
  expect(rows).toHaveLength(2);
  const costColumn = columns.indexOf("cost_usd");
  const csvTotal = rows.reduce((sum, row) => sum + usdToNanos(row.split(",")[costColumn]), 0n);
  expect(csvTotal).toBe(charged);
  expect(rows.map((row) => row.split(",")[costColumn]).every((cost) => /^\d+\.\d{9}$/.test(cost))).toBe(true);

  // Revoke: the SDK is refused.
  await page.getByRole("link", { name: "API keys" }).first().click();
  const row = page.getByTestId("key-row").filter({ hasText: "Journey key" });
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "is revoked" })).toBeVisible();
  const refused = await openai.chat.completions
    .create({ model: "deepseek-v3", messages: [{ role: "user", content: "still there?" }] })
    .then(
      () => null,
      (err: unknown) => err,
    );
  expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  expect(await ledgerCharges(organizationId)).toBe(charged); // the refusal cost nothing
});
