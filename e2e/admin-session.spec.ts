import { expect, test, type Page } from "@playwright/test";

const base = () => process.env.E2E_BASE_URL!;

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${base()}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a wrong password is refused with a clear message", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, "not-the-password");
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  expect((await page.request.get(`${base()}/api/admin/organizations`)).status()).toBe(401);
});

test("an admin's session opens the management API, for same-origin mutations only", async ({ page }) => {
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await expect(page.getByTestId("signed-in-as")).toHaveText(process.env.E2E_ADMIN_EMAIL!);

  const list = await page.request.get(`${base()}/api/admin/organizations`);
  expect(list.status()).toBe(200);
  const created = await page.request.post(`${base()}/api/admin/organizations`, {
    data: { name: "Made in the browser" },
    headers: { origin: base() },
  });
  expect(created.status()).toBe(201);
  const forged = await page.request.post(`${base()}/api/admin/organizations`, {
    data: { name: "Forged" },
    headers: { origin: "https://evil.example" },
  });
  expect(forged.status()).toBe(403);
  expect((await forged.json()).error.code).toBe("forbidden");
});

test("a signed-in member who is not an admin is forbidden", async ({ page }) => {
  await signIn(page, process.env.E2E_MEMBER_EMAIL!, process.env.E2E_MEMBER_PASSWORD!);
  await expect(page.getByTestId("signed-in-as")).toHaveText(process.env.E2E_MEMBER_EMAIL!);
  expect((await page.request.get(`${base()}/api/admin/organizations`)).status()).toBe(403);
});
