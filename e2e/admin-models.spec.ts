// The operator's console for models and prices, redemption codes and settings (issue 11): doubling
// a price in the console doubles the next request's cost; minting codes shows them once (with a CSV
// of the batch made in the browser) and revoking one stops it from being redeemed; changing a
// setting changes what the public sign-up page says. Screenshots of each page at both widths.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { adminApi, base, createTestAccount, screenshots, signIn, usdToNanos } from "./support";

const suffix = randomUUID().slice(0, 6);
const modelId = `e2e-price-${suffix}`;
let tenantKey: string;
let channelId: string;

test.beforeAll(async () => {
  // A model and a demo channel of this spec's own, so no other spec sees the price change.
  await adminApi("POST", "/api/admin/models", {
    id: modelId,
    displayName: `E2E price ${suffix}`,
    provider: "Demo",
    inputPriceUsd: "1.000",
    outputPriceUsd: "2.000",
    contextWindow: 8192,
    maxOutputTokens: 200,
    defaultMaxOutputTokens: 100,
  });
  channelId = (
    await adminApi<{ id: string }>("POST", "/api/admin/channels", {
      name: `e2e models ${suffix}`,
      provider: "demo",
      models: [modelId],
    })
  ).id;
  const account = await createTestAccount("admin-models", { creditUsd: "20" });
  tenantKey = (
    await adminApi<{ key: string }>("POST", `/api/admin/organizations/${account.organizationId}/keys`, {
      name: "e2e models key",
    })
  ).key;
});

// The public pricing page lists enabled models: leave the catalog as the other specs expect it.
test.afterAll(async () => {
  await adminApi("PATCH", `/api/admin/models/${modelId}`, { enabled: false });
  await adminApi("DELETE", `/api/admin/channels/${channelId}`);
});

async function requestCostNanos(): Promise<bigint> {
  const res = await fetch(`${base()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${tenantKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: modelId, messages: [{ role: "user", content: "What does this cost?" }] }),
  });
  expect(res.status).toBe(200);
  await res.json();
  return usdToNanos(res.headers.get("x-tokenflow-cost-usd")!);
}

async function redeemStatus(code: string): Promise<number> {
  const res = await fetch(`${base()}/api/redeem`, {
    method: "POST",
    headers: { authorization: `Bearer ${tenantKey}`, "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  return res.status;
}

test("an operator doubles a model's price in the console and the next request costs double", async ({ page }) => {
  const before = await requestCostNanos();
  expect(before).toBeGreaterThan(0n);

  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await page.goto(`${base()}/admin/models`);
  await expect(page.getByRole("heading", { name: "Models and prices", level: 1 })).toBeVisible();
  const row = page.getByTestId(`model-row-${modelId}`);
  await expect(row.getByTestId("model-status")).toContainText("Available");
  await expect(row.getByTestId("model-input-price")).toHaveText("$1.00");
  await screenshots(page, "admin-models-list");

  await row.getByRole("link", { name: `Edit E2E price ${suffix}` }).click();
  await expect(page.getByRole("heading", { name: `E2E price ${suffix}`, level: 1 })).toBeVisible();
  await page.getByLabel("Input", { exact: true }).fill("2.000");
  await page.getByLabel("Output", { exact: true }).fill("4.000");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved. The next request is billed at the new price.")).toBeVisible();
  await screenshots(page, "admin-models-edit");

  expect(await requestCostNanos()).toBe(2n * before);

  // An unpriced model cannot be enabled: the form says why.
  await page.getByLabel("Input", { exact: true }).fill("0");
  await page.getByLabel("Output", { exact: true }).fill("0");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText(/a model without a price cannot be enabled/)).toBeVisible();
  await page.getByRole("button", { name: "Discard changes" }).click();

  await page.goto(`${base()}/admin/models`);
  await expect(page.getByTestId(`model-row-${modelId}`).getByTestId("model-output-price")).toHaveText("$4.00");
});

test("an operator mints codes, sees them once with a CSV of the batch, and revokes one", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await page.goto(`${base()}/admin/codes`);
  await expect(page.getByRole("heading", { name: "Redemption codes", level: 1 })).toBeVisible();
  await page.getByLabel("Amount per code (USD)").fill("3.00");
  await page.getByLabel("Number of codes").fill("3");
  await page.getByRole("button", { name: "Make codes" }).click();
  const minted = page.getByTestId("minted-code");
  await expect(minted).toHaveCount(3);
  const codes = await minted.allTextContents();
  for (const code of codes) expect(code).toMatch(/^TF-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  const csv = readFileSync((await download.path())!, "utf8");
  expect(csv.split("\r\n")[0]).toBe("code,amountUsd,expiresAt,batchId");
  for (const code of codes) expect(csv).toContain(`${code},3.00,`);
  await screenshots(page, "admin-codes-minted");

  // Shown once: after leaving, the page holds only the partials.
  await page.getByRole("button", { name: "Done, make more codes" }).click();
  await page.reload();
  const html = await page.content();
  for (const code of codes) {
    expect(html).not.toContain(code);
    expect(html).toContain(`TF-****-****-****-${code.slice(-4)}`);
  }

  const partial = `TF-****-****-****-${codes[0].slice(-4)}`;
  await page.getByRole("button", { name: `Revoke ${partial}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke code" }).click();
  await expect(page.getByText(`Revoked ${partial}.`)).toBeVisible();
  const revokedRow = page.getByTestId("code-row").filter({ hasText: partial });
  await expect(revokedRow).toHaveAttribute("data-status", "revoked");
  expect(await redeemStatus(codes[0])).toBe(400);
  expect(await redeemStatus(codes[1])).toBe(200);

  await page.reload();
  await expect(
    page.getByTestId("code-row").filter({ hasText: `TF-****-****-****-${codes[1].slice(-4)}` }),
  ).toHaveAttribute("data-status", "redeemed");
  await screenshots(page, "admin-codes-list");

  const [exported] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  const list = readFileSync((await exported.path())!, "utf8");
  expect(list).toContain(partial);
  for (const code of codes) expect(list).not.toContain(code);
});

test("an operator changes a setting and the sign-up page follows", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  try {
    await page.goto(`${base()}/admin/settings`);
    await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();

    await page.getByLabel("Smallest top-up (USD)").fill("5000");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("must not be above the maximum")).toBeVisible();
    await page.getByRole("button", { name: "Discard changes" }).click();

    await page.getByLabel("Starting credit (USD)").fill("7.50");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Settings saved.")).toBeVisible();
    await screenshots(page, "admin-settings");

    const signup = await (await fetch(`${base()}/signup`)).text();
    expect(signup.replace(/<!-- -->/g, "")).toContain("with $7.50 of credit to start");
  } finally {
    await adminApi("PUT", "/api/admin/settings", { signupCreditUsd: "5.00" });
  }
});
