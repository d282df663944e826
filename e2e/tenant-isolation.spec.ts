// Tenant isolation matrix: organization A (the seed admin's workspace) has a key, a receipt, a
// second member and a pending invitation; the owner of organization B (a new user) signs in and tries every page,
// route and server action that takes an id with A's ids. Pages answer 404, lists and exports come
// back empty, and actions change nothing in A — checked in the database, not only on screen.
import { randomBytes, randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { withClient } from "../test/database";
import { adminApi, base, createTestAccount, settled, signIn } from "./support";

const db = <T>(fn: Parameters<typeof withClient<T>>[1]) => withClient<T>(process.env.E2E_DATABASE_URL!, fn);

interface OrgA {
  organizationId: string;
  keyId: string;
  keyName: string;
  requestId: string;
  membershipId: string;
  invitationId: string;
}

async function organizationOf(email: string): Promise<string> {
  return db(async (c) => {
    const { rows } = await c.query<{ id: string }>(
      `SELECT o.id FROM "Organization" o JOIN "Membership" m ON m."organizationId" = o.id
         JOIN "User" u ON u.id = m."userId" WHERE u.email = $1 AND o.personal`,
      [email],
    );
    return rows[0].id;
  });
}

/** Organization A with one of everything an id can point at. */
async function arrangeOrganizationA(): Promise<OrgA> {
  const organizationId = await organizationOf(process.env.E2E_ADMIN_EMAIL!);
  const keyName = `A secret project ${randomUUID().slice(0, 6)}`;
  const created = await adminApi<{ id: string; key: string }>(
    "POST",
    `/api/admin/organizations/${organizationId}/keys`,
    { name: keyName },
  );
  const res = await fetch(`${base()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${created.key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "deepseek-v3", messages: [{ role: "user", content: "isolation" }] }),
  });
  expect(res.status).toBe(200);
  const requestId = res.headers.get("x-request-id")!;
  await settled(organizationId);
  const suffix = randomUUID().slice(0, 8);
  const ids = await db(async (c) => {
    const user = await c.query<{ id: string }>(
      `INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
      [`user_a_${suffix}`, `a-member-${suffix}@example.com`],
    );
    const membership = await c.query<{ id: string }>(
      `INSERT INTO "Membership" (id, "organizationId", "userId", role) VALUES ($1, $2, $3, 'MEMBER') RETURNING id`,
      [`mem_a_${suffix}`, organizationId, user.rows[0].id],
    );
    const invitation = await c.query<{ id: string }>(
      `INSERT INTO "Invitation" (id, "organizationId", email, role, "tokenHash", "expiresAt")
       VALUES ($1, $2, $3, 'MEMBER', $4, now() + interval '7 days') RETURNING id`,
      [`inv_a_${suffix}`, organizationId, `a-invitee-${suffix}@example.com`, randomBytes(32).toString("hex")],
    );
    return { membershipId: membership.rows[0].id, invitationId: invitation.rows[0].id };
  });
  return { organizationId, keyId: created.id, keyName, requestId, ...ids };
}

/** Everything of A that an action could change, to compare before and after. */
async function snapshotA(a: OrgA): Promise<string> {
  return db(async (c) => {
    const key = await c.query(
      `SELECT name, "revokedAt", "rpmLimit", "spendLimitNanos"::text, "allowedModels" FROM "ApiKey" WHERE id = $1`,
      [a.keyId],
    );
    const membership = await c.query(`SELECT role, "monthlySpendLimitNanos"::text FROM "Membership" WHERE id = $1`, [
      a.membershipId,
    ]);
    const invitation = await c.query(`SELECT "revokedAt", "acceptedAt" FROM "Invitation" WHERE id = $1`, [
      a.invitationId,
    ]);
    const org = await c.query(`SELECT name, "balanceNanos"::text, "deletedAt" FROM "Organization" WHERE id = $1`, [
      a.organizationId,
    ]);
    return JSON.stringify([key.rows, membership.rows, invitation.rows, org.rows]);
  });
}

/** Points every hidden `name` input of the page's forms at `value` (what a hostile client can send). */
async function retarget(page: Page, name: string, value: string) {
  const count = await page.locator(`input[type="hidden"][name="${name}"]`).count();
  expect(count).toBeGreaterThan(0);
  await page.evaluate(
    ([n, v]) =>
      document.querySelectorAll<HTMLInputElement>(`input[type="hidden"][name="${n}"]`).forEach((i) => (i.value = v)),
    [name, value] as const,
  );
}

test.use({ viewport: { width: 1280, height: 900 } });

test("another organization's ids answer 404, list nothing and change nothing", async ({ page }) => {
  test.setTimeout(180_000);
  const a = await arrangeOrganizationA();
  const b = await createTestAccount("isolation-b");
  const organizationB = b.organizationId;
  // B has its own key, member and invitation, so every form exists on B's pages.
  const keyB = await adminApi<{ id: string }>("POST", `/api/admin/organizations/${organizationB}/keys`, {
    name: "B key",
  });
  const suffix = randomUUID().slice(0, 8);
  await db(async (c) => {
    await c.query(`INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $2, now())`, [
      `user_b_${suffix}`,
      `b-member-${suffix}@example.com`,
    ]);
    await c.query(`INSERT INTO "Membership" (id, "organizationId", "userId", role) VALUES ($1, $2, $3, 'MEMBER')`, [
      `mem_b_${suffix}`,
      organizationB,
      `user_b_${suffix}`,
    ]);
    await c.query(
      `INSERT INTO "Invitation" (id, "organizationId", email, role, "tokenHash", "expiresAt")
       VALUES ($1, $2, $3, 'MEMBER', $4, now() + interval '7 days')`,
      [`inv_b_${suffix}`, organizationB, `b-invitee-${suffix}@example.com`, randomBytes(32).toString("hex")],
    );
  });
  const before = await snapshotA(a);
  await signIn(page, b.email, b.password);
  const leaks = (html: string) => [a.keyName, a.requestId, a.keyId, a.organizationId].filter((s) => html.includes(s));

  // Pages that take an id: 404, nothing of A on them.
  for (const path of [`/dashboard/keys/${a.keyId}`, `/dashboard/requests/${a.requestId}`]) {
    const response = await page.goto(`${base()}${path}`);
    expect(response?.status(), path).toBe(404);
    expect(leaks((await page.content()).replace(new RegExp(`${a.keyId}|${a.requestId}`, "g"), "")), path).toEqual([]);
  }

  // Filters that take an id: nothing listed, nothing exported.
  await page.goto(`${base()}/dashboard/requests?key=${a.keyId}&range=90`);
  await expect(page.getByTestId("request-row")).toHaveCount(0);
  expect(leaks(await page.content()).filter((s) => s !== a.keyId)).toEqual([]);
  await page.goto(`${base()}/dashboard/usage?key=${a.keyId}&range=90`);
  await expect(page.getByTestId("model-row")).toHaveCount(0);
  const csv = await page.request.get(`${base()}/dashboard/requests/export?range=90&key=${a.keyId}`);
  expect(csv.status()).toBe(200);
  expect((await csv.text()).trim().split("\r\n")).toHaveLength(1);
  const csvAll = await page.request.get(`${base()}/dashboard/requests/export?range=90`);
  expect(leaks(await csvAll.text())).toEqual([]);

  // The playground with A's key: 404, nothing charged to anyone.
  const playground = await page.request.post(`${base()}/api/playground/chat`, {
    headers: { origin: base() },
    data: { keyId: a.keyId, model: "deepseek-v3", messages: [{ role: "user", content: "hi" }] },
  });
  expect(playground.status()).toBe(404);

  // An active-organization cookie naming A is ignored: B's own keys are shown.
  const url = new URL(base());
  await page.context().addCookies([{ name: "tf_org", value: a.organizationId, domain: url.hostname, path: "/" }]);
  await page.goto(`${base()}/dashboard/keys`);
  await expect(page.getByTestId("key-row").filter({ hasText: "B key" })).toHaveCount(1);
  expect(leaks(await page.content())).toEqual([]);

  // Server actions with A's ids in their hidden fields.
  await retarget(page, "keyId", a.keyId);
  await page.getByTestId("key-row").filter({ hasText: "B key" }).getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
  await page.waitForLoadState("networkidle");

  await page.goto(`${base()}/dashboard/keys/${keyB.id}`);
  await retarget(page, "keyId", a.keyId);
  await page.getByLabel("Requests per minute").fill("7");
  await page.getByRole("button", { name: "Save limits" }).click();
  await page.waitForLoadState("networkidle");

  await page.goto(`${base()}/dashboard/members`);
  await retarget(page, "membershipId", a.membershipId);
  await retarget(page, "invitationId", a.invitationId);
  const roleForm = page.locator("form", { has: page.locator('select[name="role"]') }).first();
  await roleForm.locator('select[name="role"]').selectOption("ADMIN");
  await roleForm.locator('button[type="submit"]').click();
  await page.waitForLoadState("networkidle");
  const limitForm = page.locator("form", { has: page.locator('input[name="limit"]') }).first();
  await limitForm.locator('input[name="limit"]').fill("1");
  await limitForm.locator('button[type="submit"]').click();
  await page.waitForLoadState("networkidle");
  await page
    .getByRole("button", { name: /^Revoke the invitation to/ })
    .first()
    .click();
  await page.waitForLoadState("networkidle");
  await page.getByRole("button", { name: "Remove" }).first().click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
  await page.waitForLoadState("networkidle");

  // Nothing of A changed; B's own rows were not touched by the retargeted forms either.
  expect(await snapshotA(a)).toBe(before);
  const bKey = await db((c) => c.query(`SELECT "revokedAt", "rpmLimit" FROM "ApiKey" WHERE id = $1`, [keyB.id]));
  expect(bKey.rows[0]).toEqual({ revokedAt: null, rpmLimit: null });

  // The same form, not retargeted, does work: what stopped the calls above was the organization check.
  await page.goto(`${base()}/dashboard/keys`);
  await page.getByTestId("key-row").filter({ hasText: "B key" }).getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "is revoked" })).toBeVisible();
});
