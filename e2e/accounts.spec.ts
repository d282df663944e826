import { randomBytes } from "node:crypto";
import pg from "pg";
import { receivedMail } from "./mail-catcher";
import { expect as baseExpect, test, type Browser, type Page } from "@playwright/test";

// Accounts end to end: sign-up, sign-out and in, password rules, forgot/reset through the emailed
// link (read from the SMTP server the test runs), and changing the password on /dashboard/account.

// Each sign-up, sign-in and password change hashes with scrypt (hundreds of ms on an idle core, far
// more on a loaded 2-core CI machine): patient waits.
const expect = baseExpect.configure({ timeout: 30_000 });
test.describe.configure({ timeout: 180_000 });

const base = () => process.env.E2E_BASE_URL!;
const unique = () => randomBytes(4).toString("hex");
const strongPassword = () => `violet-harbor-${unique()}`;

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

async function screenshots(page: Page, name: string, url: string) {
  for (const [label, size] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.goto(url);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page.screenshot({ path: `e2e/screenshots/${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

async function signUp(page: Page, input: { email: string; password: string; name?: string; confirm?: string }) {
  await page.getByLabel("Email", { exact: true }).fill(input.email);
  if (input.name) await page.getByLabel("Name (optional)").fill(input.name);
  await page.getByLabel("Password", { exact: true }).fill(input.password);
  await page.getByLabel("Confirm password").fill(input.confirm ?? input.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${base()}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function newAccount(page: Page) {
  const account = { email: `user-${unique()}@example.com`, password: strongPassword(), name: `Ada ${unique()}` };
  await page.goto(`${base()}/signup`);
  await signUp(page, account);
  await expect(page).toHaveURL(`${base()}/dashboard`);
  return account;
}

/** The newest email the server sent to `to` (through the test's SMTP server), as text. */
async function lastEmailTo(to: string): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(() => {
      found = receivedMail()
        .filter((text) => text.includes(`\r\nTo: ${to}\r\n`))
        .pop();
      return Boolean(found);
    })
    .toBe(true);
  return found!;
}

function linkIn(email: string, pathname: string): string {
  const match = new RegExp(`https?://\\S+${pathname}\\?token=[A-Za-z0-9_%-]+`).exec(email);
  expect(match, `a ${pathname} link in the email`).not.toBeNull();
  return match![0];
}

/** Asks /forgot-password for a reset link for `email` and answers the link the email carried. */
async function resetLinkFor(page: Page, email: string): Promise<string> {
  await page.goto(`${base()}/forgot-password`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  return linkIn(await lastEmailTo(email), "/reset-password");
}

test("a new user signs up, lands on the dashboard in their personal workspace, signs out and back in", async ({
  page,
}) => {
  await page.goto(`${base()}/`);
  await page.getByRole("banner").getByRole("link", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create your TokenFlow account");
  const email = `New.User-${unique()}@Example.com`;
  const password = strongPassword();
  await signUp(page, { email: `  ${email} `, password, name: "Grace" });

  await expect(page).toHaveURL(`${base()}/dashboard`);
  await expect(page.getByTestId("signed-in-as")).toHaveText(email.toLowerCase());
  await expect(page.locator("#org-switcher-aside option:checked")).toContainText("Grace's workspace (personal)");
  await expect(page.locator("#org-switcher-aside option:checked")).toContainText("owner");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${base()}/`);
  await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto(`${base()}/dashboard`);
  await expect(page).toHaveURL(/\/login\?callbackUrl=/);

  await signIn(page, email.toUpperCase(), password);
  await expect(page.getByTestId("signed-in-as")).toHaveText(email.toLowerCase());
});

test("the same email cannot sign up twice, and a wrong password is refused at sign-in", async ({ page }) => {
  const account = await newAccount(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${base()}/`);

  await page.goto(`${base()}/signup`);
  await signUp(page, { email: account.email.toUpperCase(), password: strongPassword() });
  await expect(page.getByLabel("Email", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("An account with this email address already exists")).toBeVisible();

  await signIn(page, account.email, `${account.password}x`);
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login/);
});

test("weak, common and mismatched passwords are refused with a visible error, and nothing is created", async ({
  page,
}) => {
  const email = `weak-${unique()}@example.com`;
  await page.goto(`${base()}/signup`);
  const passwordField = page.getByLabel("Password", { exact: true });

  await signUp(page, { email, password: "short1" });
  await expect(page.locator("#password-error")).toHaveText("Use at least 8 characters.");
  await expect(passwordField).toHaveAttribute("aria-invalid", "true");
  await expect(passwordField).toHaveAttribute("aria-describedby", "password-error");
  // The email typed stays; the passwords do not.
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue(email);

  await signUp(page, { email, password: "Password1" });
  await expect(page.locator("#password-error")).toContainText("most common");

  await signUp(page, { email, password: strongPassword(), confirm: strongPassword() });
  await expect(page.locator("#confirmPassword-error")).toHaveText("The passwords do not match.");

  await signIn(page, email, "Password1");
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
});

test("sign-up honours an invitation's callbackUrl and email, and refuses a foreign callbackUrl", async ({ page }) => {
  const email = `invitee-${unique()}@example.com`;
  await page.goto(`${base()}/signup?callbackUrl=${encodeURIComponent("/dashboard/account")}&email=${email}`);
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue(email);
  const password = strongPassword();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(`${base()}/dashboard/account`);
  await expect(page.getByTestId("account-email")).toContainText(email);

  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(`${base()}/`);
  await page.goto(`${base()}/signup?callbackUrl=${encodeURIComponent("https://evil.example/")}`);
  await signUp(page, { email: `other-${unique()}@example.com`, password: strongPassword() });
  await expect(page).toHaveURL(`${base()}/dashboard`);
});

test("forgot password: the emailed link sets a new password once, and the old one stops working", async ({ page }) => {
  const account = await newAccount(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${base()}/`);

  await page.goto(`${base()}/login`);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Forgot your password?");
  await page.getByLabel("Email").fill(account.email);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  const answer = "If an account exists for that address, we sent it a link";
  await expect(page.getByRole("status")).toContainText(answer);

  // An unknown address gets exactly the same answer.
  await page.goto(`${base()}/forgot-password`);
  await page.getByLabel("Email").fill(`nobody-${unique()}@example.com`);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await expect(page.getByRole("status")).toContainText(answer);

  const email = await lastEmailTo(account.email);
  expect(email).toContain("Subject: Reset your TokenFlow password");
  const link = linkIn(email, "/reset-password");
  expect(link.startsWith(`${base()}/reset-password?token=`)).toBe(true);

  await page.goto(link);
  await page.getByLabel("New password", { exact: true }).fill("iloveyou1");
  await page.getByLabel("Confirm new password").fill("iloveyou1");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.locator("#password-error")).toContainText("most common");

  const newPassword = strongPassword();
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(`${base()}/login?note=password-reset`);
  await expect(page.getByText("Your password was changed")).toBeVisible();

  // Used once: the same link is dead now.
  await page.goto(link);
  await expect(page.getByText("This link has expired or was already used")).toBeVisible();

  await signIn(page, account.email, account.password);
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await signIn(page, account.email, newPassword);
  await expect(page.getByTestId("signed-in-as")).toHaveText(account.email);
});

test("a reset link that first proves an address revokes the keys made before, and the login page says so", async ({
  page,
}) => {
  test.setTimeout(120_000);
  // Someone signs up with an address (verification is off) and makes a key.
  const account = await newAccount(page);
  await page.goto(`${base()}/dashboard/keys/new`);
  await page.getByLabel("Name").fill("made before the claim");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.getByLabel("Your new API key").inputValue();
  const models = () => page.request.get(`${base()}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  expect((await models()).status()).toBe(200);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${base()}/`);

  // The address's owner resets the password through the emailed link.
  await page.goto(await resetLinkFor(page, account.email));
  const newPassword = strongPassword();
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(`${base()}/login?note=password-reset-keys-revoked`);
  await expect(
    page.getByText("API keys this account made before its address was confirmed were revoked"),
  ).toBeVisible();
  await screenshots(page, "login-keys-revoked", page.url());
  await expect.poll(async () => (await models()).status()).toBe(401);
});

async function signedInContext(browser: Browser, email: string, password: string) {
  const context = await browser.newContext();
  const other = await context.newPage();
  await signIn(other, email, password);
  await expect(other.getByTestId("signed-in-as")).toHaveText(email);
  return { context, other };
}

test("changing the password on /dashboard/account keeps this session and ends the others", async ({
  page,
  browser,
}) => {
  const account = await newAccount(page);
  const { context, other } = await signedInContext(browser, account.email, account.password);

  await page.goto(`${base()}/dashboard/account`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Account");
  await expect(page.getByTestId("account-email")).toContainText(account.email);

  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill(strongPassword());
  await page.getByLabel("Confirm new password").fill("something else entirely");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#confirmPassword-error")).toHaveText("The new passwords do not match.");

  const newPassword = strongPassword();
  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#currentPassword-error")).toHaveText("The current password is not right.");

  await page.getByLabel("Current password").fill(account.password);
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Password changed");

  // This browser stays signed in; the other one is signed out.
  await page.goto(`${base()}/dashboard/account`);
  await expect(page.getByTestId("account-email")).toContainText(account.email);
  await other.goto(`${base()}/dashboard`);
  await expect(other).toHaveURL(/\/login\?callbackUrl=/);
  await context.close();

  // Name edit.
  await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("status")).toHaveText("Name saved.");
  await page.reload();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Ada Lovelace");

  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(`${base()}/`);
  await signIn(page, account.email, account.password);
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await signIn(page, account.email, newPassword);
  await expect(page.getByTestId("signed-in-as")).toHaveText(account.email);
});

test("screenshots of the account pages at desktop and phone widths", async ({ page }) => {
  await screenshots(page, "signup", `${base()}/signup`);
  await screenshots(page, "login", `${base()}/login`);
  await screenshots(page, "forgot-password", `${base()}/forgot-password`);
  await screenshots(page, "reset-password-expired", `${base()}/reset-password?token=unknown`);

  const account = await newAccount(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${base()}/`);
  await screenshots(page, "reset-password", await resetLinkFor(page, account.email));

  await signIn(page, account.email, account.password);
  await expect(page.getByTestId("signed-in-as")).toHaveText(account.email);
  await screenshots(page, "account", `${base()}/dashboard/account`);
});

/** Sets a platform setting for the duration of `run`, then removes it (back to the default). */
async function withSetting(key: string, value: unknown, run: () => Promise<void>) {
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO "Setting" (key, value, "updatedAt") VALUES ($1, $2::jsonb, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [key, JSON.stringify(value)],
    );
    await run();
  } finally {
    await client.query(`DELETE FROM "Setting" WHERE key = $1`, [key]);
    await client.end();
  }
}

test("with email verification on, sign-in waits for the emailed link", async ({ page }) => {
  await withSetting("signup.emailVerification", true, async () => {
    const account = { email: `verify-${unique()}@example.com`, password: strongPassword() };
    await page.goto(`${base()}/signup`);
    await signUp(page, account);
    await expect(page.getByRole("status")).toContainText("Check your inbox");
    await expect(page).toHaveURL(/\/signup$/);

    await signIn(page, account.email, account.password);
    await expect(page.getByTestId("login-error")).toContainText("Confirm your email address first");

    const link = linkIn(await lastEmailTo(account.email), "/verify-email");
    await page.goto(link);
    await page.getByRole("button", { name: "Confirm email address" }).click();
    await expect(page).toHaveURL(`${base()}/login?note=email-verified`);
    await expect(page.getByText("Your email address is confirmed")).toBeVisible();

    await signIn(page, account.email, account.password);
    await expect(page.getByTestId("signed-in-as")).toHaveText(account.email);
  });
});

test("with sign-up closed, /signup says so and offers no form", async ({ page }) => {
  await withSetting("signup.open", false, async () => {
    await page.goto(`${base()}/signup`);
    await expect(page.getByText("Sign-up is closed on this TokenFlow")).toBeVisible();
    await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(0);
  });
});
