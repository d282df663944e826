// Billing in the browser: an owner tops up $10 through (fake) Stripe Checkout and sees it land when
// the signed webhook arrives; a delayed payment shows "processing" on the success page until its
// webhook comes; a member sees the balance only. Every number is compared with the ledger.
import { expect, test, type Page } from "@playwright/test";
import Stripe from "stripe";
import { formatUsd } from "../lib/format";
import { withClient } from "../test/database";
import { base, createTestAccount, screenshots, signIn, usdToNanos } from "./support";
import * as fakeStripe from "./fake-stripe/client";

const stripeUrl = () => process.env.E2E_STRIPE_URL!;

/** Sends a checkout.session event to our webhook, signed as Stripe signs it. */
async function deliverSessionEvent(type: string, sessionId: string): Promise<string> {
  const payload = JSON.stringify({
    id: `evt_e2e_${sessionId}_${type}`,
    object: "event",
    api_version: "2025-01-01",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
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
  return ((await res.json()) as { result: string }).result;
}

async function books(organizationId: string) {
  return withClient(process.env.E2E_DATABASE_URL!, async (client) => {
    const { rows } = await client.query(
      `SELECT "balanceNanos"::text AS balance, "heldNanos"::text AS held,
              (SELECT COALESCE(sum("amountNanos"), 0)::text FROM "LedgerEntry" WHERE "organizationId" = o.id) AS ledger
         FROM "Organization" o WHERE id = $1`,
      [organizationId],
    );
    return { balance: BigInt(rows[0].balance), held: BigInt(rows[0].held), ledger: BigInt(rows[0].ledger) };
  });
}

/** Fills an amount, presses Top up and waits for the fake Stripe Checkout page; returns the session id. */
async function startCheckout(page: Page, amount: string): Promise<string> {
  await page.goto(`${base()}/billing`);
  await page.getByLabel("Amount", { exact: true }).fill(amount);
  await page.getByRole("button", { name: "Top up" }).click();
  await page.waitForURL(`${stripeUrl()}/checkout/**`);
  await expect(page.getByRole("heading", { name: "Pay TokenFlow" })).toBeVisible();
  return new URL(page.url()).pathname.split("/").pop()!;
}

test("an owner tops up $10: Checkout, the signed webhook, the balance, the history and the ledger", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const owner = await createTestAccount("billing", { creditUsd: "2.50" });
  await signIn(page, owner.email, owner.password);
  await page.getByRole("link", { name: "Billing" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Billing" })).toBeVisible();
  await expect(page.getByTestId("billing-balance")).toHaveText("$2.50");
  await expect(page.getByText("No payments yet")).toBeVisible();
  await expect(page.getByTestId("ledger")).toContainText("e2e credit");
  await screenshots(page, "billing-before");

  // Bad input is explained and loses nothing.
  await page.getByLabel("Amount", { exact: true }).fill("4.99");
  await page.getByRole("button", { name: "Top up" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("must be between $5.00 and $1,000.00");

  // A preset, then the real thing: off to (fake) Stripe Checkout, pay, and Stripe tells us.
  await page.getByRole("button", { name: "$10.00" }).click();
  await expect(page.getByLabel("Amount", { exact: true })).toHaveValue("10.00");
  const sessionId = await startCheckout(page, "10.00");
  await expect(page.getByText("$10.00")).toBeVisible();
  await fakeStripe.completeSession(stripeUrl(), sessionId);
  expect(await deliverSessionEvent("checkout.session.completed", sessionId)).toBe("credited");

  await page.goto(`${base()}/billing`);
  await expect(page.getByTestId("billing-balance")).toHaveText("$12.50");
  const history = page.getByTestId("payment-history");
  await expect(history.getByRole("row")).toHaveCount(2);
  await expect(history).toContainText("$10.00");
  await expect(history).toContainText("Paid");
  const receipt = history.getByRole("link", { name: /Receipt/ });
  await expect(receipt).toHaveAttribute("href", new RegExp(`^${stripeUrl()}/receipts/ch_`));
  const { balance, held, ledger } = await books(owner.organizationId);
  expect(balance).toBe(usdToNanos("12.50"));
  expect(ledger).toBe(balance + held);
  await expect(page.getByTestId("ledger-total")).toHaveText(formatUsd(ledger));
  await expect(page.getByTestId("ledger")).toContainText("Top-up: paid through Stripe Checkout");
  await screenshots(page, "billing-after-top-up");
});

test("the success page shows processing for a delayed payment and updates itself when the webhook comes", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const owner = await createTestAccount("delayed", { creditUsd: "1" });
  await signIn(page, owner.email, owner.password);
  const sessionId = await startCheckout(page, "25");
  await fakeStripe.completeSession(stripeUrl(), sessionId, { payment_status: "unpaid" });
  await page.goto(`${base()}/billing/success?session_id=${sessionId}`);
  await expect(page.getByRole("heading", { name: "Processing your payment…" })).toBeVisible();
  await screenshots(page, "billing-processing");
  await fakeStripe.asyncResult(stripeUrl(), sessionId, "succeeded");
  expect(await deliverSessionEvent("checkout.session.async_payment_succeeded", sessionId)).toBe("credited");
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText(`$25.00 was added to the balance of delayed workspace.`)).toBeVisible();
  await screenshots(page, "billing-paid");

  // Paying on the checkout page brings the buyer back to a success page that credits at once.
  const second = await startCheckout(page, "5");
  expect(second).not.toBe(sessionId);
  await page.getByRole("button", { name: "Pay" }).click();
  await page.waitForURL(`${base()}/billing/success**`);
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible();
  const { balance, ledger, held } = await books(owner.organizationId);
  expect(balance).toBe(usdToNanos("31"));
  expect(ledger).toBe(balance + held);
});

test("a member sees the balance only; cancelling checkout says nothing was charged", async ({ page }) => {
  const owner = await createTestAccount("team", { creditUsd: "3" });
  const member = await createTestAccount("teammate");
  await withClient(process.env.E2E_DATABASE_URL!, (client) =>
    client.query(`INSERT INTO "Membership" (id, "userId", "organizationId", role) VALUES ($1, $2, $3, 'MEMBER')`, [
      `m_${member.userId}`,
      member.userId,
      owner.organizationId,
    ]),
  );
  await signIn(page, member.email, member.password);
  await page.locator("aside").getByLabel("Organization").selectOption(owner.organizationId);
  await expect(page.locator("aside").getByLabel("Organization")).toHaveValue(owner.organizationId);
  await page.waitForLoadState("networkidle");
  await page.goto(`${base()}/billing`);
  await expect(page.getByTestId("billing-balance")).toHaveText("$3.00");
  await expect(page.getByText(/Only owners and admins of team workspace can top up/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Top up" })).toHaveCount(0);
  await screenshots(page, "billing-member");

  await page.goto(`${base()}/billing?checkout=cancelled`);
  await expect(page.getByText("Checkout was cancelled: nothing was charged.")).toBeVisible();
});
