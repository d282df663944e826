import { expect, test, type Page } from "@playwright/test";

// The pages' nonce-based Content-Security-Policy (proxy.ts) in a real browser: Next's scripts run
// (the login form hydrates and signs in), nothing is reported as a violation, and a script that
// does not carry the response's nonce is refused.

const base = () => process.env.E2E_BASE_URL!;

/** Records CSP violations from the DOM event and the console, from before the first script runs. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  const consoleViolations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) consoleViolations.push(message.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  return async () => [
    ...consoleViolations,
    ...(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)),
  ];
}

test("the login page runs under its CSP without a violation and still signs in", async ({ page }) => {
  const violations = await watchViolations(page);
  const response = await page.goto(`${base()}/login`);
  expect(response?.headers()["content-security-policy"]).toContain("'strict-dynamic'");

  await page.getByLabel("Email").fill(process.env.E2E_ADMIN_EMAIL!);
  await page.getByLabel("Password").fill(process.env.E2E_ADMIN_PASSWORD!);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Only the hydrated form signs in (without its script the browser would submit a GET to /login).
  await expect(page.getByTestId("signed-in-as")).toHaveText(process.env.E2E_ADMIN_EMAIL!);
  expect(await violations()).toEqual([]);

  // Sign out is a button (next-auth's client posts to /api/auth/signout) that lands on the home page.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(page).toHaveURL(`${base()}/`);
  expect(await violations()).toEqual([]);
});

test("the public pages render and navigate without a CSP violation", async ({ page }) => {
  const violations = await watchViolations(page);
  await page.goto(`${base()}/`);
  await expect(page.getByTestId("base-url")).toHaveText(`${base()}/v1`);
  await page.getByRole("link", { name: "Pricing" }).first().click(); // client-side navigation
  await expect(page.getByRole("heading", { name: "Pricing" })).toBeVisible();
  expect(await violations()).toEqual([]);
});

test("a script injected into the page without the response's nonce is refused", async ({ page }) => {
  // Stand-in for an XSS: the server's real answer (and its CSP header), with a <script> slipped into the HTML.
  await page.route(`${base()}/login`, async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace("<body", "<script>window.__injected = true;</script><body");
    await route.fulfill({ response, body: html });
  });
  const violations = await watchViolations(page);
  await page.goto(`${base()}/login`);
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  expect((await violations()).join("\n")).toContain("script-src");
});
