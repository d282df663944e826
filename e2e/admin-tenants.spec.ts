// The TENANTS console as an operator uses it: find a tenant's organization by their email, credit
// it with a note, and the tenant sees the new balance on /billing; open a user and disable them,
// after which they cannot sign in.
import { expect, test } from "@playwright/test";
import { base, createTestAccount, screenshots, signIn } from "./support";

test("an admin finds an organization by a member's email and credits it with a note; the tenant sees it", async ({
  page,
  browser,
}) => {
  const tenant = await createTestAccount("tenant-credit");
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);

  await page.goto(`${base()}/admin/tenants`);
  await expect(page.getByRole("heading", { name: "Tenants", level: 1 })).toBeVisible();
  await page.getByLabel("Search organizations and users").fill(tenant.email);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/tenants\?q=/);
  const results = page.getByTestId("organization-results");
  await expect(results.getByRole("link")).toHaveCount(1);
  await expect(page.getByTestId("user-results").getByRole("link", { name: tenant.email })).toBeVisible();
  await screenshots(page, "admin-tenants-search");

  await results.getByRole("link").click();
  await expect(page).toHaveURL(`${base()}/admin/tenants/organizations/${tenant.organizationId}`);
  await expect(page.getByTestId("org-balance")).toHaveText("$0.00");

  // The note is required: without it nothing is sent.
  await page.getByLabel("Amount (USD)").fill("15.25");
  await page.getByRole("button", { name: "Apply adjustment" }).click();
  await expect(page.getByTestId("org-balance")).toHaveText("$0.00");

  await page.getByLabel("Note (required)").fill("Goodwill credit for ticket #e2e");
  await page.getByRole("button", { name: "Apply adjustment" }).click();
  await expect(page.getByText("Done. The balance is now $15.25.")).toBeVisible();
  await expect(page.getByTestId("org-balance")).toHaveText("$15.25");
  await expect(page.getByTestId("org-ledger")).toContainText("Goodwill credit for ticket #e2e");
  await screenshots(page, "admin-tenants-organization");

  const tenantContext = await browser.newContext();
  const tenantPage = await tenantContext.newPage();
  await signIn(tenantPage, tenant.email, tenant.password);
  await tenantPage.goto(`${base()}/billing`);
  await expect(tenantPage.getByTestId("billing-balance")).toHaveText("$15.25");
  await expect(tenantPage.getByTestId("ledger")).toContainText("$15.25");
  await tenantContext.close();
});

test("an admin disables a user, who then cannot sign in; enabling restores access", async ({ page, browser }) => {
  const user = await createTestAccount("tenant-leaver");
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);

  await page.goto(`${base()}/admin/tenants?q=${encodeURIComponent(user.email)}`);
  await page.getByTestId("user-results").getByRole("link", { name: user.email }).click();
  await expect(page).toHaveURL(`${base()}/admin/tenants/users/${user.userId}`);
  await expect(page.getByRole("heading", { name: user.email, level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: "tenant-leaver workspace" })).toBeVisible();
  await screenshots(page, "admin-tenants-user");

  await page.getByRole("button", { name: "Disable user" }).click();
  const dialog = page.getByRole("dialog", { name: `Disable ${user.email}?` });
  await expect(dialog).toBeVisible();
  await screenshots(page, "admin-tenants-user-disable-dialog");
  await dialog.getByRole("button", { name: "Disable user" }).click();
  await expect(page.getByText(/Disabled since/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Enable user" })).toBeVisible();
  await screenshots(page, "admin-tenants-user-disabled");

  const context = await browser.newContext();
  const tenantPage = await context.newPage();
  await tenantPage.goto(`${base()}/login`);
  await tenantPage.getByLabel("Email").fill(user.email);
  await tenantPage.getByLabel("Password").fill(user.password);
  await tenantPage.getByRole("button", { name: "Sign in" }).click();
  await expect(tenantPage.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await expect(tenantPage).toHaveURL(/\/login/);

  await page.getByRole("button", { name: "Enable user" }).click();
  await page
    .getByRole("dialog", { name: `Enable ${user.email}?` })
    .getByRole("button", { name: "Enable user" })
    .click();
  await expect(page.getByRole("button", { name: "Disable user" })).toBeVisible();
  await signIn(tenantPage, user.email, user.password);
  await context.close();
});

test("the last platform admin cannot be removed from the console", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await page.goto(`${base()}/admin/tenants?q=${encodeURIComponent(process.env.E2E_ADMIN_EMAIL!)}`);
  await page.getByTestId("user-results").getByRole("link", { name: process.env.E2E_ADMIN_EMAIL! }).click();
  const admins = await fetch(`${base()}/api/admin/users?limit=100`, {
    headers: { authorization: `Bearer ${process.env.E2E_ADMIN_KEY}` },
  }).then((r) => r.json() as Promise<{ data: { platformRole: string; disabled: boolean }[] }>);
  test.skip(
    admins.data.filter((u) => u.platformRole === "ADMIN" && !u.disabled).length !== 1,
    "another active admin exists in this database",
  );
  await page.getByRole("button", { name: "Remove platform admin" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove platform admin" }).click();
  await expect(page.getByText(/last active platform admin/)).toBeVisible();
  await screenshots(page, "admin-tenants-last-admin");
});
