import { expect, test } from "@playwright/test";
import { base, createTestAccount, screenshots, signIn } from "./support";

// The overview, quick start and playground in a real browser: an empty organization's first steps,
// then the seed admin's workspace ($5 of credit, the seed's "Quick start" key) chatting through the
// playground with the demo channel, and the overview showing the spend. Screenshots of every page at
// desktop and phone widths go to e2e/screenshots/.

// Each flow visits several pages and takes screenshots at two widths: more than the default 30 s on a
// busy 2-core machine.
test.describe.configure({ timeout: 120_000 });

test("an empty organization sees its balance is empty and how to get started", async ({ page }) => {
  const account = await createTestAccount("overview-empty");
  await signIn(page, account.email, account.password);
  await page.goto(`${base()}/dashboard`);
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("overview-balance")).toContainText("$0.00");
  await expect(page.getByTestId("balance-banner")).toContainText("Your balance is empty");
  await expect(page.getByTestId("balance-banner").getByRole("link", { name: "Add credit" })).toBeVisible();
  const steps = page.getByTestId("get-started");
  await expect(steps.getByRole("link", { name: "Create a key" })).toHaveAttribute("href", "/dashboard/keys");
  await expect(steps.getByRole("link", { name: "Open quick start" })).toHaveAttribute("href", "/dashboard/quick-start");
  await expect(steps.getByRole("link", { name: "Open playground" })).toHaveAttribute("href", "/dashboard/playground");
  await expect(page.getByText("No requests in the last 30 days")).toBeVisible();
  await screenshots(page, "overview-empty");

  await page.goto(`${base()}/dashboard/playground`);
  await expect(page.getByRole("heading", { level: 1, name: "Playground" })).toBeVisible();
  await expect(page.getByText("Create a key first")).toBeVisible();
  await screenshots(page, "playground-empty");
});

test("the admin chats in the playground, sees the receipt, and the overview shows the spend", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);

  await page.goto(`${base()}/dashboard`);
  await expect(page.getByTestId("overview-balance")).toContainText("$5.00");
  await expect(page.getByTestId("balance-banner")).toHaveCount(0);
  const spendBefore = await page.getByTestId("overview-spend-month").locator("p").nth(1).innerText();

  await page.goto(`${base()}/dashboard/quick-start`);
  await expect(page.getByRole("heading", { level: 1, name: "Quick start" })).toBeVisible();
  const v1 = `${base()}/v1`;
  await expect(page.getByTestId("base-url")).toHaveText(v1);
  await expect(page.getByTestId("snippet-python")).toContainText(`base_url="${v1}"`);
  await expect(page.getByTestId("snippet-python")).toContainText('model="auto"');
  await expect(page.getByTestId("snippet-curl")).toContainText(`curl ${v1}/chat/completions`);
  await expect(page.getByRole("button", { name: "Copy Python snippet" })).toBeVisible();
  await screenshots(page, "quick-start");

  await page.goto(`${base()}/dashboard/playground`);
  await expect(page.getByRole("heading", { level: 1, name: "Playground" })).toBeVisible();
  await expect(page.getByLabel("API key")).toContainText("Quick start");
  const models = page.getByLabel("Model");
  await expect(models).toHaveValue("auto");
  await expect(models.locator("option[value='deepseek-v3']")).toHaveCount(1);
  await models.selectOption("deepseek-v3");
  await page.getByLabel("System prompt").fill("Answer in one sentence.");
  await page.getByLabel("Temperature").fill("0.5");
  await page.getByLabel("Max tokens").fill("200");
  await page.getByRole("textbox", { name: "Message" }).fill("What is a gateway?");
  await screenshots(page, "playground-before");

  await page.getByRole("button", { name: "Send" }).click();
  const answer = page.getByTestId("message-assistant");
  // The demo model repeats the question back, word by word, as a stream.
  await expect(answer).toContainText('You said: "What is a gateway?"');
  const receipt = answer.getByTestId("playground-receipt");
  // A real, non-zero cost (a sub-cent amount is never shown as $0.00).
  await expect(receipt).toContainText(/Cost \$\d+\.\d*[1-9]\d* ·/);
  await expect(receipt).toContainText("deepseek-v3");
  await expect(receipt).toContainText(/\d+ in \/ \d+ out tokens/);
  await expect(receipt).toContainText(/req_[0-9a-f]+/);
  await expect(page.getByRole("button", { name: "Send" })).toBeVisible(); // not streaming any more
  await screenshots(page, "playground-after");

  // A second turn through "auto": the receipt names the routed model and why.
  await models.selectOption("auto");
  await page.getByRole("textbox", { name: "Message" }).fill("And a second question?");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(page.getByTestId("message-assistant")).toHaveCount(2);
  await expect(page.getByTestId("playground-receipt").nth(1)).toContainText("Routed:");

  await page.goto(`${base()}/dashboard`);
  const balance = await page.getByTestId("overview-balance").locator("p").nth(1).innerText();
  expect(balance).not.toBe("$5.00");
  expect(balance).toMatch(/^\$4\.9\d+/);
  const spendToday = page.getByTestId("overview-spend-today");
  await expect(spendToday).toContainText("2 requests");
  const spendAfter = await page.getByTestId("overview-spend-month").locator("p").nth(1).innerText();
  expect(spendAfter).not.toBe(spendBefore);
  expect(spendAfter).not.toBe("$0.00");
  await expect(page.getByRole("img", { name: /Daily spend over the last 30 days/ })).toBeVisible();
  await screenshots(page, "overview");
});

test("the playground says clearly when the key was revoked", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  // A second key, made through the management API, revoked after the page loaded it.
  const orgs = await page.request.get(
    `${base()}/api/admin/organizations?q=${encodeURIComponent(process.env.E2E_ADMIN_EMAIL!)}`,
  );
  const list = (await orgs.json()) as
    { data?: Array<{ id: string; name: string }> } | Array<{ id: string; name: string }>;
  const rows = Array.isArray(list) ? list : (list.data ?? []);
  const personal = rows.find((o) => o.name.startsWith(process.env.E2E_ADMIN_EMAIL!));
  expect(personal).toBeTruthy();
  const created = await page.request.post(`${base()}/api/admin/organizations/${personal!.id}/keys`, {
    data: { name: "Soon revoked" },
    headers: { origin: base() },
  });
  expect(created.status()).toBe(201);
  const key = (await created.json()) as { id: string };

  await page.goto(`${base()}/dashboard/playground`);
  await page.getByLabel("API key").selectOption(key.id);
  const revoked = await page.request.delete(`${base()}/api/admin/keys/${key.id}`, { headers: { origin: base() } });
  expect(revoked.status()).toBe(200);
  await page.getByRole("textbox", { name: "Message" }).fill("Hello?");
  await page.getByRole("button", { name: "Send" }).click();
  const error = page.getByTestId("playground-error");
  await expect(error).toContainText("This key was revoked or has expired");
  await expect(error.getByRole("link", { name: "Manage keys" })).toBeVisible();
});
