// The audit log in the browser: console writes (a channel created and disabled, a price changed, an
// organization credited — made as the console makes them, with the admin's session on the
// management API) each appear with who, what, before → after and where from; filters narrow it;
// the planted channel key appears nowhere on the page.
import { expect, test } from "@playwright/test";
import { adminApi, base, createTestAccount, screenshots, signIn } from "./support";

test("every console write appears in the audit log with before and after, and filters narrow it", async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  const tenant = await createTestAccount("audited", { creditUsd: "1" });
  const secret = `sk-audit-${Date.now()}-planted`;
  const call = async (method: string, path: string, data: unknown) => {
    const res = await page.request.fetch(`${base()}${path}`, { method, data, headers: { origin: base() } });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };
  const channel = await call("POST", "/api/admin/channels", {
    name: "Audited channel",
    provider: "openai",
    baseUrl: "http://127.0.0.1:9/v1", // never called: the channel stays disabled
    apiKey: secret,
    models: ["gpt-4o"],
    enabled: false,
  });
  await call("PATCH", `/api/admin/channels/${channel.id}`, { priority: 7 });
  const model = await adminApi<{ inputPriceUsd: string }>("GET", "/api/admin/models/gpt-4o");
  await call("PATCH", "/api/admin/models/gpt-4o", { inputPriceUsd: "3.00" });
  await call("POST", `/api/admin/organizations/${tenant.organizationId}/credits`, {
    amountUsd: "4.25",
    note: "audit e2e goodwill",
    reference: `audit-${tenant.organizationId}`,
  });

  await page.goto(`${base()}/admin/audit`);
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  const log = page.getByTestId("audit-log");
  for (const action of ["channel.create", "channel.update", "model.update", "organization.credit"]) {
    await expect(log.getByText(action, { exact: true }).first()).toBeVisible();
  }
  const priceRow = log.getByRole("row").filter({ hasText: "model.update" }).first();
  await expect(priceRow).toContainText(process.env.E2E_ADMIN_EMAIL!);
  await expect(priceRow).toContainText(/inputPriceUsd: .*→ .*3\.00/);
  await expect(log.getByRole("row").filter({ hasText: "channel.update" }).first()).toContainText("priority: 0 → 7");
  await expect(log.getByRole("row").filter({ hasText: "organization.credit" }).first()).toContainText(
    "audit e2e goodwill",
  );
  await expect(log).toContainText("from 127.0.0.1");
  expect(await page.content()).not.toContain(secret);
  await screenshots(page, "admin-audit");

  await page.getByLabel("Action").fill("channel.");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=channel\./);
  await expect(log.getByText("model.update")).toHaveCount(0);
  await expect(log.getByText("channel.create").first()).toBeVisible();
  await page.getByLabel("Target id").fill("no-such-target");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No entries match these filters")).toBeVisible();

  // Put things back for the specs that follow.
  await call("PATCH", "/api/admin/models/gpt-4o", { inputPriceUsd: model.inputPriceUsd });
  await call("DELETE", `/api/admin/channels/${channel.id}`, undefined);
});
