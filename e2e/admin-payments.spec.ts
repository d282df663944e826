// The operator's payments console and analytics in the browser: a tenant tops up through (fake)
// Stripe Checkout; one top-up lands through its webhook, another is paid but its webhook never
// comes. The admin sees both in Payments, re-runs fulfilment for the stuck one (credited once, the
// ledger agrees), and the analytics charts draw the platform's revenue and usage.
import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import Stripe from "stripe";
import { bigintTypes } from "../lib/db/pool";
import { formatUsd } from "../lib/format";
import { withClient } from "../test/database";
import { insertKey, seedBilledRequests } from "../test/usage-seed";
import * as fakeStripe from "./fake-stripe/client";
import { base, createTestAccount, screenshots, signIn, usdToNanos } from "./support";

const stripeUrl = () => process.env.E2E_STRIPE_URL!;

async function startCheckout(page: Page, amount: string): Promise<string> {
  await page.goto(`${base()}/billing`);
  await page.getByLabel("Amount", { exact: true }).fill(amount);
  await page.getByRole("button", { name: "Top up" }).click();
  await page.waitForURL(`${stripeUrl()}/checkout/**`);
  return new URL(page.url()).pathname.split("/").pop()!;
}

async function deliverCompleted(sessionId: string): Promise<void> {
  const payload = JSON.stringify({
    id: `evt_e2e_admin_${sessionId}`,
    object: "event",
    api_version: "2025-01-01",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: "checkout.session.completed",
    data: { object: { id: sessionId, object: "checkout.session" } },
  });
  const signature = new Stripe(process.env.E2E_STRIPE_SECRET_KEY!).webhooks.generateTestHeaderString({
    payload,
    secret: process.env.E2E_STRIPE_WEBHOOK_SECRET!,
  });
  const res = await fetch(`${base()}/api/stripe/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": signature },
    body: payload,
  });
  expect(res.status).toBe(200);
}

function query<T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
  return withClient(process.env.E2E_DATABASE_URL!, async (client) => (await client.query(sql, values)).rows as T[]);
}

test("an admin sees a tenant's top-ups, re-runs fulfilment for a stuck one, and reads the analytics", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const tenant = await createTestAccount("payer", { creditUsd: "1.00" });
  await signIn(page, tenant.email, tenant.password);
  const paidSession = await startCheckout(page, "12.00");
  await fakeStripe.completeSession(stripeUrl(), paidSession);
  await deliverCompleted(paidSession);
  const stuckSession = await startCheckout(page, "15.00");
  await fakeStripe.completeSession(stripeUrl(), stuckSession); // paid; its webhook never comes
  const [stuck] = await query<{ id: string }>(
    `UPDATE "Payment" SET "createdAt" = "createdAt" - interval '3 hours' WHERE "stripeSessionId" = $1 RETURNING id`,
    [stuckSession],
  );
  // Usage for the analytics: billed requests over the last days, through the real money path.
  const pool = new pg.Pool({ connectionString: process.env.E2E_DATABASE_URL!, max: 2, types: bigintTypes });
  try {
    await insertKey(pool, { id: `key_${tenant.organizationId}`, organizationId: tenant.organizationId, name: "e2e" });
    await seedBilledRequests(pool, {
      organizationId: tenant.organizationId,
      keyIds: [`key_${tenant.organizationId}`],
      count: 24,
      days: 6,
      seed: 7,
    });
  } finally {
    await pool.end();
  }

  await page.context().clearCookies();
  await signIn(page, process.env.E2E_ADMIN_EMAIL!, process.env.E2E_ADMIN_PASSWORD!);
  await page.goto(`${base()}/admin`);
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("kpi-stuck")).toContainText("1");
  await screenshots(page, "admin-overview");
  await page.getByTestId("kpi-stuck").click();
  await expect(page).toHaveURL(/\/admin\/payments#stuck$/);

  const stuckTable = page.getByTestId("stuck-payments");
  const stuckRow = stuckTable.locator(`tr[data-payment-id="${stuck.id}"]`);
  await expect(stuckRow).toContainText("payer workspace");
  await expect(stuckRow).toContainText("$15.00");
  await expect(stuckRow).toContainText(stuckSession);
  const all = page.getByTestId("payments");
  await expect(all.locator("tr", { hasText: paidSession })).toContainText("Credited");
  await expect(page.getByTestId("stripe-events")).toContainText(`evt_e2e_admin_${paidSession}`);
  await screenshots(page, "admin-payments-stuck");

  const before = await query<{ balanceNanos: bigint }>(`SELECT "balanceNanos" FROM "Organization" WHERE id = $1`, [
    tenant.organizationId,
  ]);
  await stuckRow.getByRole("button", { name: /Re-run fulfilment/ }).click();
  await expect(page.getByTestId("fulfilment-notice")).toContainText(
    `Fulfilment re-run for the $15.00 top-up of payer workspace (${stuck.id}): Stripe says it was paid: the top-up was credited now.`,
  );
  await expect(page.getByTestId("empty-state").filter({ hasText: "No stuck top-ups" })).toBeVisible();
  await expect(all.locator(`tr[data-payment-id="${stuck.id}"]`)).toContainText("Credited");
  const credits = await query<{ amountNanos: string }>(
    `SELECT "amountNanos"::text AS "amountNanos" FROM "LedgerEntry" WHERE kind = 'TOPUP' AND reference = $1`,
    [stuck.id],
  );
  expect(credits.map((c) => BigInt(c.amountNanos))).toEqual([usdToNanos("15")]);
  const after = await query<{ balanceNanos: string }>(
    `SELECT "balanceNanos"::text AS "balanceNanos" FROM "Organization" WHERE id = $1`,
    [tenant.organizationId],
  );
  expect(BigInt(after[0].balanceNanos)).toBe(BigInt(String(before[0].balanceNanos)) + usdToNanos("15"));
  const audit = await query<{ n: string }>(
    `SELECT count(*)::text AS n FROM "AuditEvent" WHERE action = 'payment.fulfill' AND "targetId" = $1`,
    [stuck.id],
  );
  expect(audit[0].n).toBe("1");
  await screenshots(page, "admin-payments-after-rerun");

  // Filter by organization and status.
  await page.getByLabel("Organization", { exact: true }).fill("payer workspace");
  await page.getByLabel("Status", { exact: true }).selectOption("SUCCEEDED");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=SUCCEEDED/);
  await expect(page.getByTestId("payments").locator("tbody tr")).toHaveCount(2);

  // Analytics: the numbers equal the ledger, the charts draw.
  await page.locator("aside").getByRole("link", { name: "Analytics" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Analytics" })).toBeVisible();
  await page.getByRole("link", { name: "7 days" }).click();
  await expect(page).toHaveURL(/days=7/);
  const [usage] = await query<{ spend: string; revenue: string }>(
    `SELECT (SELECT COALESCE(-sum("amountNanos"), 0)::text FROM "LedgerEntry" WHERE kind = 'USAGE' AND "organizationId" = $1) AS spend,
            (SELECT COALESCE(sum("amountNanos"), 0)::text FROM "LedgerEntry" WHERE kind = 'TOPUP'
              AND "createdAt" >= (now() AT TIME ZONE 'UTC')::date - 6) AS revenue`,
    [tenant.organizationId],
  );
  await expect(page.getByTestId("analytics-revenue")).toContainText(formatUsd(BigInt(usage.revenue)));
  for (const chart of [
    "revenue-chart",
    "spend-by-model-chart",
    "tokens-by-model-chart",
    "spend-by-organization-chart",
  ]) {
    await expect(page.getByTestId(chart).locator(".recharts-bar-rectangle").first()).toBeVisible();
  }
  await expect(page.getByTestId("organizations-table").locator("tr", { hasText: "payer workspace" })).toContainText(
    formatUsd(BigInt(usage.spend)),
  );
  await screenshots(page, "admin-analytics");
});
