// The billing page and API on a server without Stripe (STRIPE_SECRET_KEY unset), the way a
// self-hoster starts: top-up says it is not configured (admins can still credit), the webhook is
// not there, and the ledger statement still reconciles to the balance, usage summed per day.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingApi, signedInMember } from "./stripe";
import { startAppServer } from "./app-server";
import { startStack, type Stack } from "./stack";

let stack: Stack;
let orgId: string;
let owner: { cookie: string };
let member: { cookie: string };

beforeAll(async () => {
  stack = await startStack();
  await stack.admin.disableAllChannels();
  await stack.admin.createChannel({ name: "A", baseUrl: stack.upstream.baseUrl, models: ["gpt-4o"], priority: 10 });
  orgId = (await stack.admin.createOrganization("Self-hosted", "3.00")).id;
  owner = await signedInMember(stack, orgId, "OWNER");
  member = await signedInMember(stack, orgId, "MEMBER");
  const client = stack.sdk((await stack.admin.createKey(orgId)).key);
  for (let i = 0; i < 3; i++) {
    await client.chat.completions.create({
      model: "gpt-4o",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
  }
  await stack.admin.request("POST", `/api/admin/organizations/${orgId}/credits`, {
    amountUsd: "2.50",
    note: "welcome",
    reference: crypto.randomUUID(),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function page(cookie: string): Promise<string> {
  const res = await fetch(`${stack.app.url}/billing`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return (await res.text()).replace(/<!-- -->/g, ""); // React's text separators
}

describe("billing without Stripe", () => {
  it("tells owners top-up is not configured, and the API and webhook refuse", async () => {
    const html = await page(owner.cookie);
    expect(html).toContain("Top-up is not configured on this server");
    const checkout = await billingApi(stack, owner.cookie, "POST", "/api/billing/checkout", {
      organizationId: orgId,
      amountUsd: "10.00",
    });
    expect(checkout.status).toBe(503);
    expect(checkout.body.error.message).toMatch(/not configured/);
    const webhook = await fetch(`${stack.app.url}/api/stripe/webhook`, { method: "POST", body: "{}" });
    expect(webhook.status).toBe(404);
  });

  it("shows a ledger statement that reconciles to balance + held, usage summed per day", async () => {
    const html = await page(owner.cookie);
    const { rows } = await stack.db.query(
      `SELECT "balanceNanos", "heldNanos", (SELECT sum("amountNanos")::bigint FROM "LedgerEntry" WHERE "organizationId" = o.id) AS ledger
         FROM "Organization" o WHERE id = $1`,
      [orgId],
    );
    expect(rows[0].ledger).toBe(rows[0].balanceNanos + rows[0].heldNanos);
    const { formatUsd } = await import("@/lib/format");
    expect(html).toMatch(
      new RegExp(`data-testid="ledger-total"[^>]*>${formatUsd(rows[0].ledger).replace("$", "\\$")}<`),
    );
    expect(html).toContain("Usage (3 requests)");
    expect(html).toContain("Adjustment: welcome");
    expect(html).toContain("No payments yet");
    expect(html).not.toContain("The ledger and the balance disagree");
  });

  it("shows members the balance only", async () => {
    const html = await page(member.cookie);
    expect(html).toContain('data-testid="billing-balance"');
    expect(html).toContain("Only owners and admins of Self-hosted can top up");
    expect(html).not.toContain('data-testid="ledger"');
    expect(html).not.toContain("Top-up is not configured");
  });
});

describe("start-up", () => {
  it("refuses to start with a Stripe key but no webhook secret, without printing the key", async () => {
    const key = "sk_test_refusedrefusedrefused";
    const started = startAppServer({ databaseUrl: stack.databaseUrl, env: { STRIPE_SECRET_KEY: key } });
    const error = await started.then(
      async (app) => {
        await app.stop();
        return null;
      },
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/the server exited \(1\)/);
    expect(error?.message).toContain("STRIPE_WEBHOOK_SECRET is not");
    expect(error?.message).not.toContain(key);
  });
});
