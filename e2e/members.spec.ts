// Members and invitations in the browser: an owner invites by email, the email arrives through a
// real SMTP server, the invitee opens the link, signs in, accepts, and is a member who cannot open
// the members page. Also: caps and the low-balance alert saved through the forms, and screenshots
// of the members, settings and invite pages at desktop and phone widths.
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { adminApi, base } from "./support";
import { hashPassword } from "../lib/auth/password";
import { bigintTypes } from "../lib/db/pool";
import { generateApiKey } from "../lib/keys/api-key";
import { createOrganization } from "../lib/organizations/create";
import { receivedMail } from "./mail-catcher";

const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

let db: pg.Pool;
const tag = randomBytes(3).toString("hex");
const owner = { email: `owner-${tag}@example.com`, password: randomBytes(12).toString("base64url") };
const invitee = { email: `invitee-${tag}@example.com`, password: randomBytes(12).toString("base64url") };
const orgName = `Acme Research ${tag}`;
let orgId: string;

async function createUser(email: string, password: string): Promise<string> {
  const id = `user_${randomBytes(6).toString("hex")}`;
  await db.query(
    `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, $3, 'USER', now())`,
    [id, email, await hashPassword(password)],
  );
  return id;
}

async function signIn(page: Page, email: string, password: string, path = "/login") {
  await page.goto(`${base()}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function screenshots(page: Page, name: string) {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    await page.reload();
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.screenshot({ path: `e2e/screenshots/${name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

test.beforeAll(async () => {
  db = new pg.Pool({ connectionString: process.env.E2E_DATABASE_URL, max: 2, types: bigintTypes });
  const ownerId = await createUser(owner.email, owner.password);
  ({ id: orgId } = await createOrganization(db, { name: orgName, ownerUserId: ownerId }));
  // Credit and a key, so the member can use the organization's keys in the playground.
  await adminApi("POST", `/api/admin/organizations/${orgId}/credits`, { amountUsd: "1", reference: `e2e-${orgId}` });
  await adminApi("POST", `/api/admin/organizations/${orgId}/keys`, { name: "Team key" });
});

test.afterAll(async () => {
  await db?.end();
});

test("an owner invites by email; the invitee accepts from the link and is a member", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await signIn(page, owner.email, owner.password);
  await expect(page.getByTestId("signed-in-as")).toHaveText(owner.email);
  await page.goto(`${base()}/dashboard/members`);
  await expect(page.getByRole("heading", { level: 1, name: "Members" })).toBeVisible();
  await expect(page.getByText("No pending invitations")).toBeVisible();

  // An invalid address is refused at the field.
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Email").fill(invitee.email);
  await page.getByLabel("Role", { exact: true }).selectOption("MEMBER");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(page.getByTestId("invite-status")).toHaveText(`Invitation sent to ${invitee.email}.`);
  await expect(page.getByTestId("invitation-row")).toContainText(invitee.email);

  // The email, through the SMTP server.
  let mail: string | undefined;
  await expect
    .poll(() => (mail = receivedMail().find((m) => m.includes(`To: ${invitee.email}`))), { timeout: 10_000 })
    .toBeTruthy();
  expect(mail).toContain(orgName);
  const link = /http:\/\/[^\s]+\/invite\/[A-Za-z0-9_-]{43}/.exec(mail!)?.[0];
  expect(link).toBeTruthy();
  expect(link!.startsWith(base())).toBe(true);
  await expect(page.getByTestId("invite-link")).toHaveText(link!);

  // The invitee, in their own browser, signed out.
  const inviteeContext = await browser.newContext();
  const guest = await inviteeContext.newPage();
  await guest.goto(link!);
  await expect(guest.getByRole("heading", { level: 1 })).toHaveText(`Join ${orgName}`);
  const token = link!.split("/invite/")[1];
  await expect(guest.getByRole("main").getByRole("link", { name: "Create account" })).toHaveAttribute(
    "href",
    `/signup?callbackUrl=${encodeURIComponent(`/invite/${token}`)}&email=${encodeURIComponent(invitee.email)}`,
  );
  await screenshots(guest, "invite");

  // The invitee has no account: "Create account" carries the invitation through sign-up.
  await guest.getByRole("main").getByRole("link", { name: "Create account" }).click();
  await expect(guest).toHaveURL(/\/signup\?callbackUrl=/);
  await expect(guest.getByLabel("Email", { exact: true })).toHaveValue(invitee.email);
  await guest.getByLabel("Password", { exact: true }).fill(invitee.password);
  await guest.getByLabel("Confirm password").fill(invitee.password);
  await guest.getByRole("button", { name: "Create account" }).click();
  await expect(guest).toHaveURL(`${base()}/invite/${token}`, { timeout: 30_000 });
  await guest.getByRole("button", { name: "Accept invitation" }).click();
  await expect(guest).toHaveURL(`${base()}/dashboard`);
  await expect(guest.getByLabel("Organization").first()).toHaveValue(orgId);

  const { rows } = await db.query(
    `SELECT m.role FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE m."organizationId" = $1 AND u.email = $2`,
    [orgId, invitee.email],
  );
  expect(rows).toEqual([{ role: "MEMBER" }]);

  // A member: no members link, and the page itself answers 404.
  await expect(guest.getByRole("link", { name: "Members" })).toHaveCount(0);
  const response = await guest.goto(`${base()}/dashboard/members`);
  expect(response?.status()).toBe(404);
  // A member uses the organization's keys (the playground, billed through one) but cannot create one.
  await guest.goto(`${base()}/dashboard/keys`);
  await expect(guest.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await expect(guest.getByRole("link", { name: "Create key" })).toHaveCount(0);
  expect((await guest.goto(`${base()}/dashboard/keys/new`))?.status()).toBe(404);
  await guest.goto(`${base()}/dashboard/playground`);
  await guest.getByLabel("Model").selectOption("deepseek-v3");
  await guest.getByRole("textbox", { name: "Message" }).fill("Hello from a member");
  await guest.getByRole("button", { name: "Send" }).click();
  await expect(guest.getByTestId("message-assistant")).toContainText("Hello from a member");
  await expect(guest.getByTestId("playground-receipt")).toContainText(/Cost \$\d+\.\d*[1-9]/);

  // The link is used up.
  await guest.goto(link!);
  await expect(guest.getByTestId("invite-invalid")).toBeVisible();
  await inviteeContext.close();

  // Back with the owner: the invitee is listed; give them a monthly cap.
  await page.goto(`${base()}/dashboard/members`);
  const row = page.locator(`[data-testid="member-row"][data-email="${invitee.email}"]`);
  await expect(row).toContainText("of no cap this month");
  await row.getByLabel(/Monthly cap/).fill("12.5");
  await row.getByRole("button", { name: "Save cap" }).click();
  await expect(row.getByText("Cap saved.")).toBeVisible();
  const cap = await db.query(
    `SELECT m."monthlySpendLimitNanos" FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE m."organizationId" = $1 AND u.email = $2`,
    [orgId, invitee.email],
  );
  expect(cap.rows[0].monthlySpendLimitNanos).toBe(12_500_000_000n);
  await expect(page.getByText("No pending invitations")).toBeVisible();

  // A second, pending invitation so the screenshot shows the list.
  await page.getByLabel("Email").fill(`later-${tag}@example.com`);
  await page.getByLabel("Role", { exact: true }).selectOption("ADMIN");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(page.getByTestId("invitation-row")).toContainText(`later-${tag}@example.com`);
  await screenshots(page, "members");

  // Settings: the owner's low-balance alert.
  await page.goto(`${base()}/dashboard/settings`);
  await page.getByLabel("Alert below (USD)").fill("5");
  await page.getByRole("button", { name: "Save alert" }).click();
  await expect(page.getByTestId("threshold-status")).toContainText("below $5.00");
  const org = await db.query(`SELECT "lowBalanceThresholdNanos" FROM "Organization" WHERE id = $1`, [orgId]);
  expect(org.rows[0].lowBalanceThresholdNanos).toBe(5_000_000_000n);
  await screenshots(page, "settings");

  // Revoke the pending invitation, then remove the member through the confirmation dialog.
  await page.goto(`${base()}/dashboard/members`);
  await page.getByRole("button", { name: `Revoke the invitation to later-${tag}@example.com` }).click();
  await expect(page.getByText("No pending invitations")).toBeVisible();
  const inviteeRow = page.locator(`[data-testid="member-row"][data-email="${invitee.email}"]`);
  await inviteeRow.getByRole("button", { name: "Remove" }).click();
  const dialog = page.getByRole("dialog", { name: `Remove ${invitee.email}?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Remove member" }).click();
  await expect(inviteeRow).toHaveCount(0);
  const left = await db.query(
    `SELECT count(*)::int AS n FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE m."organizationId" = $1 AND u.email = $2`,
    [orgId, invitee.email],
  );
  expect(left.rows[0].n).toBe(0);
});

test("an owner creates an organization, lands in it, and deletes it: its keys stop working", async ({ page }) => {
  await signIn(page, owner.email, owner.password);
  await expect(page.getByTestId("signed-in-as")).toHaveText(owner.email);
  await page.goto(`${base()}/dashboard/settings`);
  const name = `Side Project ${tag}`;
  await page.getByLabel("New organization name").fill(name);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(`${base()}/dashboard`);
  await page.goto(`${base()}/dashboard/settings`);
  await expect(page.getByTestId("org-name")).toHaveText(name);
  const { rows } = await db.query(`SELECT id FROM "Organization" WHERE name = $1`, [name]);
  const sideId = rows[0].id as string;
  const { key, keyHash, partialKey } = generateApiKey();
  await db.query(
    `INSERT INTO "ApiKey" (id, "organizationId", name, "keyHash", "partialKey", "createdAt")
     VALUES ($1, $2, 'k', $3, $4, now())`,
    [`key_${sideId}`, sideId, keyHash, partialKey],
  );
  const models = () => page.request.get(`${base()}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  expect((await models()).status()).toBe(200);

  const remove = page.getByRole("button", { name: "Delete organization" });
  await expect(remove).toBeDisabled();
  await page.getByLabel(`Type "${name}" to confirm`).fill(name);
  await remove.click();
  await expect(page).toHaveURL(`${base()}/dashboard`);
  await expect(page.getByLabel("Organization").first()).toHaveValue(orgId);
  expect((await models()).status()).toBe(401);
  const deleted = await db.query(`SELECT "deletedAt" IS NOT NULL AS deleted FROM "Organization" WHERE id = $1`, [
    sideId,
  ]);
  expect(deleted.rows[0].deleted).toBe(true);
});

test("a made-up invitation link says it is not available", async ({ page }) => {
  const response = await page.goto(`${base()}/invite/${"x".repeat(43)}`);
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId("invite-invalid")).toHaveText(
    "This invitation link is invalid or has expired. Ask the person who invited you to send a new one.",
  );
});
