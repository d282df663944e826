// Stripe top-ups end to end: the checkout API records a pending top-up and opens a Checkout Session
// on the fake Stripe; signed webhooks (and the success page) fulfil it through one path that
// re-reads the session and credits exactly once, whatever Stripe delivers, twice, at once, out of
// order or forged. Every case checks the exact credit and the ledger invariant.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usdToNanos } from "@/lib/billing/money";
import {
  balanceOf,
  billingApi,
  deliver,
  fake,
  ledgerGap,
  signedInMember,
  startStripeStack,
  stripeEvent,
  type StripeStack,
} from "./stripe";

let s: StripeStack;
let orgId: string;
let owner: { userId: string; cookie: string };

beforeAll(async () => {
  s = await startStripeStack();
  orgId = (await s.stack.admin.createOrganization("Buyer", "1.00")).id;
  owner = await signedInMember(s.stack, orgId, "OWNER");
}, 120_000);

afterAll(async () => {
  await s?.stop();
});

/** A top-up of `amountUsd` started through the API; returns our payment id and the session. */
async function startTopUp(amountUsd = "10.00") {
  const res = await billingApi(s.stack, owner.cookie, "POST", "/api/billing/checkout", {
    organizationId: orgId,
    amountUsd,
  });
  expect(res.status).toBe(200);
  const { rows } = await s.stack.db.query(`SELECT id FROM "Payment" WHERE "stripeSessionId" = $1`, [res.body.id]);
  return { sessionId: res.body.id as string, url: res.body.url as string, paymentId: rows[0].id as string };
}

async function payment(paymentId: string) {
  const { rows } = await s.stack.db.query(`SELECT * FROM "Payment" WHERE id = $1`, [paymentId]);
  return rows[0];
}

async function topUpCredits(paymentId: string): Promise<bigint[]> {
  const { rows } = await s.stack.db.query(
    `SELECT "amountNanos" FROM "LedgerEntry" WHERE kind = 'TOPUP' AND reference = $1`,
    [paymentId],
  );
  return rows.map((r) => r.amountNanos as bigint);
}

function completed(session: { id: string }, type = "checkout.session.completed") {
  return stripeEvent(type, { id: session.id, object: "checkout.session" });
}

async function expectBooksBalance() {
  expect(await ledgerGap(s.stack, orgId)).toBe(0n);
}

describe("POST /api/billing/checkout", () => {
  it("records a pending top-up, then opens a Checkout Session keyed and labelled by its id", async () => {
    await fake.clearRequests(s.fakeStripe.url);
    const { sessionId, url, paymentId } = await startTopUp("12.34");
    expect(url).toBe(`${s.fakeStripe.url}/checkout/${sessionId}`);
    const row = await payment(paymentId);
    expect(row).toMatchObject({ status: "PENDING", kind: "CHECKOUT", currency: "usd", createdById: owner.userId });
    expect(row.amountNanos).toBe(usdToNanos("12.34"));
    const created = (await fake.requests(s.fakeStripe.url)).filter(
      (r) => r.method === "POST" && r.path === "/v1/checkout/sessions",
    );
    expect(created).toHaveLength(1);
    expect(created[0].idempotencyKey).toBe(`tokenflow-top-up-${paymentId}`);
    expect(created[0].body).toMatchObject({
      mode: "payment",
      client_reference_id: paymentId,
      metadata: { tokenflow_payment_id: paymentId, organization_id: orgId },
      line_items: [{ quantity: "1", price_data: { currency: "usd", unit_amount: "1234" } }],
      success_url: `${s.stack.app.url}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
    });
  });

  it("refuses amounts outside the limits, strangers, members, other sites and anonymous callers", async () => {
    const low = await billingApi(s.stack, owner.cookie, "POST", "/api/billing/checkout", {
      organizationId: orgId,
      amountUsd: "4.99",
    });
    expect(low.status).toBe(400);
    expect(low.body.error).toMatchObject({
      field: "amountUsd",
      message: "amountUsd: must be between $5.00 and $1,000.00",
    });
    for (const amountUsd of ["1000.01", "10.001", "-10", "ten"]) {
      const res = await billingApi(s.stack, owner.cookie, "POST", "/api/billing/checkout", {
        organizationId: orgId,
        amountUsd,
      });
      expect(res.status, amountUsd).toBe(400);
    }
    const other = (await s.stack.admin.createOrganization("Someone else")).id;
    const stranger = await billingApi(s.stack, owner.cookie, "POST", "/api/billing/checkout", {
      organizationId: other,
      amountUsd: "10",
    });
    expect(stranger.status).toBe(404);
    const member = await signedInMember(s.stack, orgId, "MEMBER");
    const asMember = await billingApi(s.stack, member.cookie, "POST", "/api/billing/checkout", {
      organizationId: orgId,
      amountUsd: "10",
    });
    expect(asMember.status).toBe(403);
    const crossSite = await billingApi(
      s.stack,
      owner.cookie,
      "POST",
      "/api/billing/checkout",
      { organizationId: orgId, amountUsd: "10" },
      "https://evil.example",
    );
    expect(crossSite.status).toBe(403);
    const anonymous = await billingApi(s.stack, null, "POST", "/api/billing/checkout", {
      organizationId: orgId,
      amountUsd: "10",
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("POST /api/stripe/webhook", () => {
  it("credits a paid session once, with the charge's receipt", async () => {
    const before = await balanceOf(s.stack, orgId);
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    const res = await deliver(s, completed({ id: sessionId }));
    expect(res).toMatchObject({ status: 200, body: { received: true, result: "credited" } });
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("10"));
    const row = await payment(paymentId);
    expect(row.status).toBe("SUCCEEDED");
    expect(row.receiptUrl).toMatch(new RegExp(`^${s.fakeStripe.url}/receipts/ch_`));
    expect(row.stripeChargeId).toMatch(/^ch_/);
    await expectBooksBalance();
  });

  it("credits once when the same event arrives 10 times at once", async () => {
    const before = await balanceOf(s.stack, orgId);
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    const event = completed({ id: sessionId });
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(s, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.result === "credited")).toHaveLength(1);
    expect(await topUpCredits(paymentId)).toEqual([usdToNanos("10")]);
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("10"));
    const { rows } = await s.stack.db.query(`SELECT count(*)::int AS n FROM "StripeEvent" WHERE id = $1`, [event.id]);
    expect(rows[0].n).toBe(1);
    await expectBooksBalance();
  });

  it("credits once for completed and async_payment_succeeded of one session", async () => {
    const { sessionId, paymentId } = await startTopUp("20.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    const first = await deliver(s, completed({ id: sessionId }));
    const second = await deliver(s, completed({ id: sessionId }, "checkout.session.async_payment_succeeded"));
    expect([first.body.result, second.body.result]).toEqual(["credited", "already_credited"]);
    expect(await topUpCredits(paymentId)).toEqual([usdToNanos("20")]);
    await expectBooksBalance();
  });

  it("waits while a delayed payment is unpaid, and credits when it succeeds", async () => {
    const before = await balanceOf(s.stack, orgId);
    const { sessionId, paymentId } = await startTopUp("15.00");
    await fake.completeSession(s.fakeStripe.url, sessionId, { payment_status: "unpaid" });
    expect((await deliver(s, completed({ id: sessionId }))).body.result).toBe("pending");
    expect(await balanceOf(s.stack, orgId)).toBe(before);
    expect((await payment(paymentId)).status).toBe("PENDING");
    await fake.asyncResult(s.fakeStripe.url, sessionId, "succeeded");
    const later = await deliver(s, completed({ id: sessionId }, "checkout.session.async_payment_succeeded"));
    expect(later.body.result).toBe("credited");
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("15"));
    await expectBooksBalance();
  });

  it("marks a delayed payment that fails, crediting nothing", async () => {
    const before = await balanceOf(s.stack, orgId);
    const { sessionId, paymentId } = await startTopUp("15.00");
    await fake.completeSession(s.fakeStripe.url, sessionId, { payment_status: "unpaid" });
    await fake.asyncResult(s.fakeStripe.url, sessionId, "failed");
    const res = await deliver(s, completed({ id: sessionId }, "checkout.session.async_payment_failed"));
    expect(res.body.result).toBe("failed");
    expect((await payment(paymentId)).status).toBe("FAILED");
    expect(await balanceOf(s.stack, orgId)).toBe(before);
    await expectBooksBalance();
  });

  it("marks an expired session, crediting nothing", async () => {
    const { sessionId, paymentId } = await startTopUp("15.00");
    await fake.expireSession(s.fakeStripe.url, sessionId);
    expect((await deliver(s, completed({ id: sessionId }, "checkout.session.expired"))).body.result).toBe("expired");
    expect((await payment(paymentId)).status).toBe("EXPIRED");
    expect(await topUpCredits(paymentId)).toEqual([]);
  });

  it("credits from the success page when the buyer is back before the webhook, and the webhook adds nothing", async () => {
    const before = await balanceOf(s.stack, orgId);
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    const page = await fetch(`${s.stack.app.url}/billing/success?session_id=${sessionId}`, {
      headers: { cookie: owner.cookie },
    });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Payment received");
    expect(html).toContain("$10.00 was added");
    expect((await deliver(s, completed({ id: sessionId }))).body.result).toBe("already_credited");
    expect(await topUpCredits(paymentId)).toEqual([usdToNanos("10")]);
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("10"));
  });

  it("refuses forged, tampered, stale and unsigned deliveries, changing nothing", async () => {
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    const event = completed({ id: sessionId });
    const tampered = await deliver(s, event, { tamper: (p) => p.replace('"livemode":false', '"livemode":false ') });
    const unsigned = await deliver(s, event, { signature: null });
    const stale = await deliver(s, event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const wrongSecret = await deliver(s, event, { secret: "whsec_not_ours" });
    const garbage = await deliver(s, event, { signature: "t=1,v1=deadbeef" });
    for (const res of [tampered, unsigned, stale, wrongSecret, garbage]) expect(res.status).toBe(400);
    expect(await topUpCredits(paymentId)).toEqual([]);
    const { rows } = await s.stack.db.query(`SELECT 1 FROM "StripeEvent" WHERE id = $1`, [event.id]);
    expect(rows).toHaveLength(0);
    expect((await deliver(s, event)).body.result).toBe("credited"); // the genuine one still works
  });

  it("acknowledges, records and ignores events of the other mode, unknown sessions and unknown types", async () => {
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    const live = stripeEvent("checkout.session.completed", { id: sessionId }, { livemode: true });
    expect(await deliver(s, live)).toMatchObject({ status: 200, body: { result: "livemode_mismatch" } });
    expect(await topUpCredits(paymentId)).toEqual([]);
    const unknown = stripeEvent("checkout.session.completed", { id: "cs_test_nobody_knows" });
    expect(await deliver(s, unknown)).toMatchObject({ status: 200, body: { result: "unknown_session" } });
    const other = stripeEvent("customer.created", { id: "cus_x", object: "customer" });
    expect(await deliver(s, other)).toMatchObject({ status: 200, body: { result: "ignored" } });
    const { rows } = await s.stack.db.query(`SELECT id, result FROM "StripeEvent" WHERE id = ANY($1) ORDER BY result`, [
      [live.id, unknown.id, other.id],
    ]);
    expect(rows.map((r) => r.result)).toEqual(["ignored", "livemode_mismatch", "unknown_session"]);
  });

  it("credits nothing and flags the top-up when Stripe's amount or currency differs from ours", async () => {
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId, { amount_total: 100 });
    expect((await deliver(s, completed({ id: sessionId }))).body.result).toBe("mismatch");
    const row = await payment(paymentId);
    expect(row.status).toBe("NEEDS_REVIEW");
    expect(row.reviewReason).toContain("100 usd");
    const other = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, other.sessionId, { currency: "eur" });
    expect((await deliver(s, completed({ id: other.sessionId }))).body.result).toBe("mismatch");
    expect(await topUpCredits(paymentId)).toEqual([]);
    expect(await topUpCredits(other.paymentId)).toEqual([]);
    await expectBooksBalance();
  });

  it("answers 5xx when crediting fails, and credits once when Stripe delivers again", async () => {
    const before = await balanceOf(s.stack, orgId);
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    await s.stack.db.query(`
      CREATE FUNCTION tf_test_fail_topup() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected crediting failure'; END $$;
      CREATE TRIGGER tf_test_fail_topup BEFORE INSERT ON "LedgerEntry"
        FOR EACH ROW WHEN (NEW.kind = 'TOPUP') EXECUTE FUNCTION tf_test_fail_topup();`);
    const event = completed({ id: sessionId });
    try {
      const failed = await deliver(s, event);
      expect(failed.status).toBe(500);
      expect(await balanceOf(s.stack, orgId)).toBe(before);
      expect((await payment(paymentId)).status).toBe("PENDING");
    } finally {
      await s.stack.db.query(`DROP TRIGGER tf_test_fail_topup ON "LedgerEntry"; DROP FUNCTION tf_test_fail_topup();`);
    }
    expect(await deliver(s, event)).toMatchObject({ status: 200, body: { result: "credited" } });
    expect(await deliver(s, event)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("10"));
    await expectBooksBalance();
  });
});

describe("refunds and disputes", () => {
  /** A credited $10 top-up; returns its charge. */
  async function paidTopUp() {
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    expect((await deliver(s, completed({ id: sessionId }))).body.result).toBe("credited");
    const row = await payment(paymentId);
    return { paymentId, chargeId: row.stripeChargeId as string, intentId: row.stripePaymentIntentId as string };
  }

  function refunded(charge: { chargeId: string; intentId: string }, amountRefunded: number) {
    return stripeEvent("charge.refunded", {
      id: charge.chargeId,
      object: "charge",
      amount: 1000,
      amount_refunded: amountRefunded,
      currency: "usd",
      payment_intent: charge.intentId,
      refunded: amountRefunded >= 1000,
    });
  }

  it("debits partial and full refunds by their running total, once, in any order", async () => {
    const charge = await paidTopUp();
    const start = await balanceOf(s.stack, orgId);
    expect((await deliver(s, refunded(charge, 300))).body.result).toBe("refunded");
    expect(await balanceOf(s.stack, orgId)).toBe(start - usdToNanos("3"));
    expect((await deliver(s, refunded(charge, 300))).body.result).toBe("already_refunded"); // redelivered as a new event
    expect((await deliver(s, refunded(charge, 1000))).body.result).toBe("refunded");
    expect((await deliver(s, refunded(charge, 300))).body.result).toBe("already_refunded"); // an old total, late
    expect(await balanceOf(s.stack, orgId)).toBe(start - usdToNanos("10"));
    const row = await payment(charge.paymentId);
    expect(row.status).toBe("REFUNDED");
    expect(row.refundedNanos).toBe(usdToNanos("10"));
    await expectBooksBalance();
  });

  it("lets a refund take the balance below zero, and the organization's keys then get 402", async () => {
    const org = (await s.stack.admin.createOrganization("Spender")).id;
    const spender = await signedInMember(s.stack, org, "OWNER");
    const res = await billingApi(s.stack, spender.cookie, "POST", "/api/billing/checkout", {
      organizationId: org,
      amountUsd: "10.00",
    });
    await fake.completeSession(s.fakeStripe.url, res.body.id);
    expect((await deliver(s, completed({ id: res.body.id }))).body.result).toBe("credited");
    // Spent down to $4 (an admin debit stands in for usage), then the full $10 comes back to the card.
    await s.stack.admin.request("POST", `/api/admin/organizations/${org}/credits`, {
      amountUsd: "-6.00",
      note: "usage",
      reference: "usage",
    });
    const { rows } = await s.stack.db.query(
      `SELECT "stripeChargeId", "stripePaymentIntentId" FROM "Payment" WHERE "stripeSessionId" = $1`,
      [res.body.id],
    );
    const refund = stripeEvent("charge.refunded", {
      id: rows[0].stripeChargeId,
      object: "charge",
      amount: 1000,
      amount_refunded: 1000,
      currency: "usd",
      payment_intent: rows[0].stripePaymentIntentId,
    });
    expect((await deliver(s, refund)).body.result).toBe("refunded");
    expect(await balanceOf(s.stack, org)).toBe(usdToNanos("-6"));
    expect(await ledgerGap(s.stack, org)).toBe(0n);
    // An admin may credit it back up, not debit it further.
    const debit = await s.stack.admin.request("POST", `/api/admin/organizations/${org}/credits`, {
      amountUsd: "-1.00",
      reference: "one-more",
    });
    expect(debit.status).toBe(409);
    const key = await s.stack.admin.createKey(org);
    const sdkError = await s.stack
      .sdk(key.key)
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 5 })
      .catch((err: { status?: number }) => err);
    expect((sdkError as { status?: number }).status).toBe(402);
    await s.stack.admin.request("POST", `/api/admin/organizations/${org}/credits`, {
      amountUsd: "7.00",
      note: "goodwill",
      reference: "goodwill",
    });
    expect(await balanceOf(s.stack, org)).toBe(usdToNanos("1"));
  });

  it("debits a dispute once and flags the organization; a won dispute credits it back once", async () => {
    const charge = await paidTopUp();
    const start = await balanceOf(s.stack, orgId);
    const dispute = {
      id: `dp_${Date.now()}`,
      object: "dispute",
      amount: 1000,
      currency: "usd",
      charge: charge.chargeId,
      payment_intent: charge.intentId,
      reason: "fraudulent",
    };
    const opened = stripeEvent("charge.dispute.created", { ...dispute, status: "needs_response" });
    expect((await deliver(s, opened)).body.result).toBe("dispute_debited");
    expect((await deliver(s, { ...opened, id: `${opened.id}_again` })).body.result).toBe("dispute_already_debited");
    expect(await balanceOf(s.stack, orgId)).toBe(start - usdToNanos("10"));
    const { rows } = await s.stack.db.query(`SELECT "billingReviewReason" FROM "Organization" WHERE id = $1`, [orgId]);
    expect(rows[0].billingReviewReason).toContain(dispute.id);
    const won = stripeEvent("charge.dispute.closed", { ...dispute, status: "won" });
    expect((await deliver(s, won)).body.result).toBe("dispute_reversed");
    expect((await deliver(s, { ...won, id: `${won.id}_again` })).body.result).toBe("dispute_already_reversed");
    expect(await balanceOf(s.stack, orgId)).toBe(start);
    await expectBooksBalance();
  });

  it("ends a lost dispute at −amount and a won one at zero even when 'closed' overtakes 'created'", async () => {
    const lostCharge = await paidTopUp();
    const wonCharge = await paidTopUp();
    const start = await balanceOf(s.stack, orgId);
    const base = (charge: typeof lostCharge, id: string) => ({
      id,
      object: "dispute",
      amount: 1000,
      currency: "usd",
      charge: charge.chargeId,
      payment_intent: charge.intentId,
      reason: "general",
    });
    const lost = base(lostCharge, `dp_lost_${Date.now()}`);
    const won = base(wonCharge, `dp_won_${Date.now()}`);
    await deliver(s, stripeEvent("charge.dispute.closed", { ...lost, status: "lost" }));
    await deliver(s, stripeEvent("charge.dispute.closed", { ...won, status: "won" }));
    await deliver(s, stripeEvent("charge.dispute.created", { ...lost, status: "needs_response" }));
    await deliver(s, stripeEvent("charge.dispute.created", { ...won, status: "needs_response" }));
    expect(await balanceOf(s.stack, orgId)).toBe(start - usdToNanos("10"));
    await expectBooksBalance();
  });
});

describe("npm run stripe:reconcile", () => {
  function reconcile(): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "scripts/stripe-reconcile.ts"], {
        env: { ...process.env, ...s.env, DATABASE_URL: s.stack.databaseUrl },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("exit", (code) => resolve({ code: code ?? 1, out }));
    });
  }

  it("processes the undelivered events we never saw, once, and lists stuck top-ups", async () => {
    const seen = await startTopUp("10.00");
    const missed = await startTopUp("30.00");
    const stuck = await startTopUp("7.00");
    await fake.completeSession(s.fakeStripe.url, seen.sessionId);
    await fake.completeSession(s.fakeStripe.url, missed.sessionId);
    await s.stack.db.query(`UPDATE "Payment" SET "createdAt" = "createdAt" - interval '2 hours' WHERE id = $1`, [
      stuck.paymentId,
    ]);
    // Stripe reports both as undelivered; we processed the first through the webhook already.
    const seenEvent = await fake.addEvent(s.fakeStripe.url, {
      type: "checkout.session.completed",
      data: { object: { id: seen.sessionId, object: "checkout.session" } },
    });
    await fake.addEvent(s.fakeStripe.url, {
      type: "checkout.session.completed",
      data: { object: { id: missed.sessionId, object: "checkout.session" } },
    });
    await fake.addEvent(s.fakeStripe.url, {
      type: "checkout.session.completed",
      created: Math.floor(Date.now() / 1000) - 4 * 86_400, // older than the 3 days reconcile reads
      data: { object: { id: "cs_test_too_old", object: "checkout.session" } },
    });
    expect((await deliver(s, seenEvent)).body.result).toBe("credited");
    const before = await balanceOf(s.stack, orgId);

    const first = await reconcile();
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain(`checkout.session.completed: credited`);
    expect(first.out).toContain("1 processed, 1 already processed, 0 failed, 1 top-up(s) still pending");
    expect(first.out).toContain(`${stuck.paymentId} CHECKOUT $7.00`);
    expect(first.out).not.toContain("cs_test_too_old");
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("30"));
    expect(await topUpCredits(missed.paymentId)).toEqual([usdToNanos("30")]);

    const second = await reconcile();
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain("0 processed, 2 already processed, 0 failed");
    expect(await balanceOf(s.stack, orgId)).toBe(before + usdToNanos("30"));
    await expectBooksBalance();
  });
});
