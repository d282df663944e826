// What the browser specs share: the server under test, sign-in, screenshots at both widths, the
// management API with the admin key, and exact USD parsing for comparing money.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { expect, type Page } from "@playwright/test";
import { hashPassword } from "../lib/auth/password";
import { createOrganization } from "../lib/organizations/create";
import { withClient } from "../test/database";

export const base = () => process.env.E2E_BASE_URL!;

/**
 * Waits until the organization has no hold still HELD: every request it was answered has settled
 * (the gateway answers first; the receipt and the charge land a few milliseconds later).
 */
export async function settled(organizationId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const held = await withClient(process.env.E2E_DATABASE_URL!, async (client) => {
      const { rows } = await client.query<{ n: number }>(
        `SELECT COUNT(*)::INT AS n FROM "Hold" WHERE "organizationId" = $1 AND state = 'HELD'`,
        [organizationId],
      );
      return rows[0].n;
    });
    if (held === 0) return;
    if (Date.now() > deadline) throw new Error(`${held} hold(s) of ${organizationId} still HELD after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Signs in through /login and waits for the dashboard to name the user. */
export async function signIn(page: Page, email: string, password: string, path = "/login"): Promise<void> {
  await page.goto(`${base()}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(email, { timeout: 30_000 });
}

/**
 * Full-page screenshots at desktop and phone width under e2e/screenshots/ (looked at before every
 * stop); the page is left at desktop width. Charts re-measure on resize, hence the short pause.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync("e2e/screenshots", { recursive: true });
  for (const [size, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    await page.screenshot({ path: `e2e/screenshots/${name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

/** The platform management API with the admin key; throws on any non-2xx answer. */
export async function adminApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: { authorization: `Bearer ${process.env.E2E_ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Exact decimal USD ("0.000012345", "$1.50") to nano-USD. */
export function usdToNanos(usd: string): bigint {
  const [whole, fraction = ""] = usd.replace(/^\$/, "").replace(/,/g, "").split(".");
  return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, "0").slice(0, 9));
}

export interface TestAccount {
  email: string;
  password: string;
  userId: string;
  organizationId: string;
}

/**
 * A new user who owns a new personal organization and nothing else, so a spec does not depend on
 * what other specs did to the shared admin and member accounts. `creditUsd` goes through the
 * management API's credit route (the ledger).
 */
export async function createTestAccount(label: string, options: { creditUsd?: string } = {}): Promise<TestAccount> {
  const suffix = randomUUID().slice(0, 8);
  const email = `${label}-${suffix}@example.com`;
  const password = `Pw-${randomUUID()}`;
  const userId = `user_${label}_${suffix}`;
  const organizationId = await withClient(process.env.E2E_DATABASE_URL!, async (client) => {
    await client.query(`INSERT INTO "User" (id, email, "passwordHash", "updatedAt") VALUES ($1, $2, $3, now())`, [
      userId,
      email,
      await hashPassword(password),
    ]);
    const org = await createOrganization(client, { name: `${label} workspace`, ownerUserId: userId, personal: true });
    return org.id;
  });
  if (options.creditUsd)
    await adminApi("POST", `/api/admin/organizations/${organizationId}/credits`, {
      amountUsd: options.creditUsd,
      note: "e2e credit",
      reference: `e2e-${organizationId}`,
    });
  return { email, password, userId, organizationId };
}
