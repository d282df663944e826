// The usage page, the request log, a receipt and the CSV download, for a new user's personal
// organization, with requests sent through the real gateway (/v1, the seeded demo channel).
import { expect, test } from "@playwright/test";
import { usdToNanos } from "../lib/billing/money";
import { formatUsd } from "../lib/format";
import { adminApi, base, createTestAccount, screenshots, settled, signIn, type TestAccount } from "./support";

/** Billed requests through /v1 with a new key of the organization. */
async function sendRequests(organizationId: string): Promise<{ keyName: string; ids: string[] }> {
  const keyName = "usage e2e";
  const key = await adminApi<{ key: string }>("POST", `/api/admin/organizations/${organizationId}/keys`, {
    name: keyName,
  });
  const ids: string[] = [];
  const models = ["deepseek-v3", "deepseek-v3", "kimi-k2", "glm-4-plus", "deepseek-v3", "kimi-k2"];
  for (const [i, model] of models.entries()) {
    const res = await fetch(`${base()}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: `Hello number ${i}, tell me a story.` }] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    ids.push(res.headers.get("x-request-id")!);
  }
  // A refused one (unknown model): a receipt with an error status and no charge.
  const refused = await fetch(`${base()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] }),
  });
  expect(refused.status).toBe(404);
  await settled(organizationId);
  return { keyName, ids };
}

let owner: TestAccount; // set by the first test (tests run in file order, one worker)
let ownerRequestIds: string[] = [];

test("usage, request log, receipt and CSV agree on the same requests", async ({ page }) => {
  test.setTimeout(120_000);
  owner = await createTestAccount("usage", { creditUsd: "5" });
  await signIn(page, owner.email, owner.password);

  // Empty states first: nothing has been billed yet.
  await page.goto(`${base()}/dashboard/usage`);
  await expect(page.getByRole("heading", { level: 1, name: "Usage" })).toBeVisible();
  await expect(page.getByText("No usage in this range")).toBeVisible();
  await screenshots(page, "usage-empty");
  await page.goto(`${base()}/dashboard/requests`);
  await expect(page.getByRole("heading", { level: 1, name: "Request log" })).toBeVisible();
  await expect(page.getByText("No requests in this range")).toBeVisible();
  await screenshots(page, "requests-empty");

  const { keyName, ids } = await sendRequests(owner.organizationId);
  ownerRequestIds = ids;

  // Usage: charts drawn, six billed requests, a totals row.
  await page.goto(`${base()}/dashboard/usage`);
  await expect(page.getByTestId("spend-chart").locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("requests-chart").locator(".recharts-area-area").first()).toBeVisible();
  await expect(page.getByTestId("total-requests")).toContainText("6");
  await expect(page.getByTestId("model-row")).toHaveCount(3);
  const totalCost = (await page.getByTestId("total-cost").innerText()).trim();
  expect(totalCost).toMatch(/^\$\d/);
  await expect(page.getByTestId("total-spend")).toContainText(totalCost);
  await screenshots(page, "usage-data");

  // Filter by model through the form (a plain GET form).
  await page.getByLabel("Model", { exact: true }).selectOption("kimi-k2");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/model=kimi-k2/);
  await expect(page.getByTestId("model-row")).toHaveCount(1);
  await expect(page.getByTestId("total-requests")).toContainText("2");

  // Request log: seven receipts (six billed, one refused), the cost column adds up to the usage total.
  await page.goto(`${base()}/dashboard/requests`);
  await expect(page.getByTestId("request-row")).toHaveCount(7);
  await expect(page.getByTestId("request-log-table")).toContainText(keyName);
  await expect(page.getByTestId("request-log-table")).toContainText("404");
  const costs = await page.getByTestId("request-cost").allInnerTexts();
  const pageSum = costs.reduce((sum, c) => sum + usdToNanos(c.replace(/[$,]/g, "")), 0n);
  expect(formatUsd(pageSum)).toBe(totalCost);
  await screenshots(page, "requests-data");

  // Only errors.
  await page.getByLabel("Status", { exact: true }).selectOption("error");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByTestId("request-row")).toHaveCount(1);

  // The CSV from the button: one row per receipt, cost_usd sums to the page's total exactly.
  await page.goto(`${base()}/dashboard/requests`);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^tokenflow-requests-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await (await download.createReadStream()).toArray();
  const lines = Buffer.concat(csv).toString("utf8").trim().split("\r\n");
  const header = lines[0].split(",");
  expect(header.slice(0, 3)).toEqual(["request_id", "created_at", "key"]);
  const rows = lines.slice(1).map((l) => l.split(","));
  expect(rows).toHaveLength(7);
  const csvSum = rows.reduce((sum, r) => sum + usdToNanos(r[header.indexOf("cost_usd")]), 0n);
  expect(formatUsd(csvSum)).toBe(totalCost);
  expect(new Set(rows.map((r) => r[0]))).toEqual(
    new Set([...ids, ...rows.map((r) => r[0]).filter((id) => !ids.includes(id))]),
  );
  expect(ids.every((id) => rows.some((r) => r[0] === id))).toBe(true);

  // A receipt: tokens × price lines, the charge equal to the log's.
  await page.goto(`${base()}/dashboard/requests/${ids[2]}`);
  await expect(page.getByRole("heading", { level: 1, name: "Receipt" })).toBeVisible();
  await expect(page.getByTestId("receipt-id")).toHaveText(ids[2]);
  await expect(page.getByTestId("receipt-lines")).toContainText("Output tokens");
  const charged = (await page.getByTestId("receipt-charged").innerText()).trim();
  const csvRow = rows.find((r) => r[0] === ids[2])!;
  expect(charged).toBe(csvRow[header.indexOf("cost_usd")]);
  await expect(page.getByText("kimi-k2").first()).toBeVisible();
  await screenshots(page, "receipt");
});

test("another organization's receipt is a 404, and the export needs a session", async ({ page }) => {
  const res = await fetch(`${base()}/dashboard/requests/export`, { redirect: "manual" });
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toContain("application/json");

  // The owner of another organization cannot open the first one's receipt, nor see its rows.
  expect(ownerRequestIds.length).toBeGreaterThan(0);
  const other = await createTestAccount("usage-other");
  await signIn(page, other.email, other.password);
  await page.goto(`${base()}/dashboard/requests`);
  await expect(page.getByText("No requests in this range")).toBeVisible();
  const response = await page.goto(`${base()}/dashboard/requests/${ownerRequestIds[0]}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByText("This page could not be found.")).toBeVisible();
  await expect(page.getByTestId("receipt-lines")).toHaveCount(0);
  expect(await page.content()).not.toContain("usage e2e"); // the first organization's key name
  const csv = await page.request.get(`${base()}/dashboard/requests/export?range=90`);
  expect(csv.status()).toBe(200);
  expect((await csv.text()).trim().split("\r\n")).toHaveLength(1); // the header only
});
