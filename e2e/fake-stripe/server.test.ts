// Unit tests for the fake Stripe API, driven by the real `stripe` SDK configured the way the app configures it.
// Run: npx vitest run --project unit e2e/fake-stripe
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  addEvent,
  asyncResult,
  clearRequests,
  completeSession,
  expireSession,
  fault,
  markDelivered,
  refundCharge,
  requests,
  reset,
  setDecline,
  spawnFakeStripe,
  state,
  stripeOptions,
  type FakeStripeHandle,
} from "./client";
import { parseForm } from "./server.mjs";

let fake: FakeStripeHandle;
let stripe: Stripe;

function sdk(key: string) {
  const u = new URL(fake.url);
  return new Stripe(key, { host: u.hostname, port: Number(u.port), protocol: "http", maxNetworkRetries: 0 });
}

beforeAll(async () => {
  fake = await spawnFakeStripe();
  stripe = sdk("sk_test_123");
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(async () => {
  await reset(fake.url);
});

const paymentParams = (
  over: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams => ({
  mode: "payment",
  success_url: "http://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}",
  cancel_url: "http://app.test/billing",
  client_reference_id: "acct_1",
  metadata: { topup_id: "top_1", account_id: "acct_1" },
  line_items: [
    {
      price_data: { currency: "usd", unit_amount: 1250, product_data: { name: "TokenFlow credits" } },
      quantity: 2,
    },
  ],
  payment_intent_data: { setup_future_usage: "off_session", metadata: { topup_id: "top_1" } },
  ...over,
});

/** Rejection of `p`, failing the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

/** A customer with a saved card, made the way the app makes one: a setup-mode Checkout Session. */
async function savedCard() {
  const customer = await stripe.customers.create({ email: "a@example.com", name: "A", metadata: { account_id: "a1" } });
  const session = await stripe.checkout.sessions.create({
    mode: "setup",
    currency: "usd",
    customer: customer.id,
    success_url: "http://app.test/ok",
  });
  expect(session.payment_status).toBe("no_payment_required");
  expect(session.amount_total).toBeNull();
  await completeSession(fake.url, session.id);
  // The fulfilment code's expand list (payment_intent is null in setup mode, so its paths are skipped).
  const done = await stripe.checkout.sessions.retrieve(session.id, {
    expand: ["payment_intent.latest_charge", "payment_intent.payment_method", "setup_intent.payment_method"],
  });
  expect(done.payment_intent).toBeNull();
  const si = done.setup_intent as Stripe.SetupIntent;
  const pm = si.payment_method as Stripe.PaymentMethod;
  expect(si).toMatchObject({
    object: "setup_intent",
    status: "succeeded",
    usage: "off_session",
    customer: customer.id,
  });
  expect(pm).toMatchObject({
    object: "payment_method",
    type: "card",
    customer: customer.id,
    card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2030 },
  });
  return { customer, pm };
}

describe("form parsing", () => {
  it("parses nested keys, indexed and appended arrays the way the SDK encodes them", () => {
    expect(
      parseForm(
        "metadata[topup_id]=x&line_items[0][price_data][currency]=usd&line_items[0][quantity]=1" +
          "&line_items[1][quantity]=2&expand[0]=payment_intent&types[]=a&types[]=b&created[gte]=5" +
          "&delivery_success=false&q=a+b%20c%5Bd%5D&__proto__[polluted]=1",
      ),
    ).toEqual({
      metadata: { topup_id: "x" },
      line_items: [{ price_data: { currency: "usd" }, quantity: "1" }, { quantity: "2" }],
      expand: ["payment_intent"],
      types: ["a", "b"],
      created: { gte: "5" },
      delivery_success: "false",
      q: "a b c[d]",
    });
    expect(({} as any).polluted).toBeUndefined();
    expect(parseForm("")).toEqual({});
    expect(parseForm("metadata[0]=a&metadata[k]=b")).toEqual({ metadata: { 0: "a", k: "b" } });
  });
});

describe("auth and routing", () => {
  it("answers 401 without a key, and the SDK throws StripeAuthenticationError for a bad one", async () => {
    const res = await fetch(`${fake.url}/v1/customers/cus_x`);
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/did not provide an API key/);

    const err = await rejection(sdk("pk_test_nope").customers.retrieve("cus_x"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.statusCode).toBe(401);
    const recorded = await requests(fake.url);
    expect(recorded.map((r) => [r.apiKey, r.status])).toEqual([
      [null, 401],
      ["pk_test_nope", 401],
    ]);
  });

  it("answers unknown /v1 routes with Stripe's 404", async () => {
    const res = await fetch(`${fake.url}/v1/x`, { headers: { authorization: "Bearer sk_test_123" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { type: "invalid_request_error", message: "Unrecognized request URL (GET: /v1/x)" },
    });
  });

  it("sets livemode from the key", async () => {
    const live = await sdk("rk_live_abc").customers.create({ email: "l@example.com" });
    const test = await stripe.customers.create({ email: "t@example.com" });
    expect(live.livemode).toBe(true);
    expect(test.livemode).toBe(false);
    const again = await stripe.customers.retrieve(live.id);
    expect(again).toMatchObject({ id: live.id, object: "customer", email: "l@example.com", livemode: true });
  });
});

describe("checkout sessions", () => {
  it("creates a payment session once per idempotency key", async () => {
    const a = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: "topup-top_1" });
    const b = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: "topup-top_1" });
    expect(b.id).toBe(a.id);
    expect(b).toEqual(a);
    expect(a.id).toMatch(/^cs_test_\w+$/);
    expect(a).toMatchObject({
      object: "checkout.session",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      amount_total: 2500,
      currency: "usd",
      client_reference_id: "acct_1",
      metadata: { topup_id: "top_1", account_id: "acct_1" },
      customer: null,
      payment_intent: null,
      setup_intent: null,
      livemode: false,
      url: `${fake.url}/checkout/${a.id}`,
      payment_intent_data: { setup_future_usage: "off_session", metadata: { topup_id: "top_1" } },
    });
    expect(a.expires_at - a.created).toBe(86_400);
    expect((await state(fake.url)).checkout_sessions).toHaveLength(1);

    const recorded = await requests(fake.url);
    expect(recorded).toHaveLength(2);
    expect(recorded.map((r) => [r.idempotencyKey, r.idempotentReplay, r.status])).toEqual([
      ["topup-top_1", false, 200],
      ["topup-top_1", true, 200],
    ]);
    expect(recorded[0]).toMatchObject({
      method: "POST",
      path: "/v1/checkout/sessions",
      apiKey: "sk_test_123",
      body: {
        mode: "payment",
        metadata: { topup_id: "top_1" },
        line_items: [{ price_data: { currency: "usd", unit_amount: "1250" }, quantity: "2" }],
      },
    });

    // Same key, other parameters: Stripe refuses.
    const err = await rejection(
      stripe.checkout.sessions.create(paymentParams({ client_reference_id: "other" }), {
        idempotencyKey: "topup-top_1",
      }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    await clearRequests(fake.url);
    expect(await requests(fake.url)).toEqual([]);
  });

  it("validates mode, success_url and line items", async () => {
    const cases: [Partial<Stripe.Checkout.SessionCreateParams>, string][] = [
      [{ mode: undefined }, "mode"],
      [{ success_url: undefined }, "success_url"],
      [{ line_items: undefined }, "line_items"],
      [
        { line_items: [{ price_data: { currency: "usd", unit_amount: 0, product_data: { name: "x" } }, quantity: 1 }] },
        "line_items[0][price_data][unit_amount]",
      ],
    ];
    for (const [over, param] of cases) {
      const err = await rejection(stripe.checkout.sessions.create(paymentParams(over)));
      expect(err, param).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err.statusCode).toBe(400);
      expect(err.param).toBe(param);
    }
    expect((await state(fake.url)).checkout_sessions).toEqual([]);
  });

  it("404s an unknown session with resource_missing", async () => {
    const err = await rejection(stripe.checkout.sessions.retrieve("cs_x"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe("resource_missing");
    expect(err.param).toBe("id");
    expect(err.message).toBe("No such checkout.session: 'cs_x'");
  });

  it("reflects a paid completion, with expand", async () => {
    const created = await stripe.checkout.sessions.create(paymentParams());
    const open = await stripe.checkout.sessions.retrieve(created.id, { expand: ["payment_intent"] });
    expect(open.payment_intent).toBeNull();
    const badExpand = await rejection(stripe.checkout.sessions.retrieve(created.id, { expand: ["metadata"] }));
    expect(badExpand).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(badExpand.param).toBe("expand");

    const page = await fetch(created.url!);
    const html = await page.text();
    expect(html).toContain("<title>Fake Stripe Checkout</title>");
    expect(html).toContain("Pay TokenFlow");
    expect(html).toContain("$25.00 USD");

    const completed = await completeSession(fake.url, created.id);
    expect(completed.payment_intent.latest_charge.object).toBe("charge");

    const plain = await stripe.checkout.sessions.retrieve(created.id);
    expect(plain).toMatchObject({ status: "complete", payment_status: "paid" });
    expect(plain.payment_intent).toMatch(/^pi_/);
    expect(plain.customer).toMatch(/^cus_/);

    const s = await stripe.checkout.sessions.retrieve(created.id, {
      expand: ["payment_intent", "payment_intent.latest_charge", "customer"],
    });
    expect((s.customer as Stripe.Customer).object).toBe("customer");
    const pi = s.payment_intent as Stripe.PaymentIntent;
    const charge = pi.latest_charge as Stripe.Charge;
    expect(pi).toMatchObject({
      object: "payment_intent",
      status: "succeeded",
      amount: 2500,
      amount_received: 2500,
      currency: "usd",
      customer: (s.customer as Stripe.Customer).id,
      metadata: { topup_id: "top_1" },
    });
    expect(charge).toMatchObject({
      object: "charge",
      amount: 2500,
      amount_refunded: 0,
      paid: true,
      refunded: false,
      status: "succeeded",
      payment_intent: pi.id,
      receipt_url: `${fake.url}/receipts/${charge.id}`,
    });
    // setup_future_usage: the method is saved on the customer.
    const pm = await stripe.paymentMethods.retrieve(pi.payment_method as string);
    expect(pm.customer).toBe((s.customer as Stripe.Customer).id);
    const full = await stripe.checkout.sessions.retrieve(created.id, {
      expand: ["payment_intent.latest_charge", "payment_intent.payment_method", "setup_intent.payment_method"],
    });
    const fullPi = full.payment_intent as Stripe.PaymentIntent;
    expect((fullPi.latest_charge as Stripe.Charge).id).toBe(charge.id);
    expect((fullPi.payment_method as Stripe.PaymentMethod).id).toBe(pm.id);
    expect(full.setup_intent).toBeNull();
    expect(await (await fetch(charge.receipt_url!)).text()).toContain("$25.00 USD");

    const refunded = await refundCharge(fake.url, charge.id, 500);
    expect(refunded).toMatchObject({ amount_refunded: 500, refunded: false });
    expect(await refundCharge(fake.url, charge.id)).toMatchObject({ amount_refunded: 2500, refunded: true });
    expect((await stripe.charges.retrieve(charge.id)).refunded).toBe(true);

    await expect(completeSession(fake.url, created.id)).rejects.toThrow(/409/);
  });

  it("completes with overridden amount and currency (mismatch simulation)", async () => {
    const created = await stripe.checkout.sessions.create(paymentParams());
    await completeSession(fake.url, created.id, { amount_total: 100, currency: "EUR" });
    const s = await stripe.checkout.sessions.retrieve(created.id, { expand: ["payment_intent"] });
    expect(s.amount_total).toBe(100);
    expect(s.currency).toBe("eur");
    expect((s.payment_intent as Stripe.PaymentIntent).amount).toBe(100);
  });

  it("completes unpaid, then settles asynchronously", async () => {
    const a = await stripe.checkout.sessions.create(paymentParams());
    const unpaid = await completeSession(fake.url, a.id, { payment_status: "unpaid" });
    expect(unpaid).toMatchObject({ status: "complete", payment_status: "unpaid" });
    expect(unpaid.payment_intent).toMatchObject({ status: "processing", latest_charge: null });

    const paid = await asyncResult(fake.url, a.id, "succeeded");
    expect(paid.payment_status).toBe("paid");
    const s = await stripe.checkout.sessions.retrieve(a.id, { expand: ["payment_intent.latest_charge"] });
    const pi = s.payment_intent as Stripe.PaymentIntent;
    expect(s.payment_status).toBe("paid");
    expect(pi.status).toBe("succeeded");
    expect((pi.latest_charge as Stripe.Charge).receipt_url).toMatch(/\/receipts\/ch_/);

    const b = await stripe.checkout.sessions.create(paymentParams());
    await completeSession(fake.url, b.id, { payment_status: "unpaid" });
    await asyncResult(fake.url, b.id, "failed");
    const failed = await stripe.checkout.sessions.retrieve(b.id, { expand: ["payment_intent"] });
    expect(failed.payment_status).toBe("unpaid");
    expect((failed.payment_intent as Stripe.PaymentIntent).status).toBe("requires_payment_method");
  });

  it("expires open sessions", async () => {
    const a = await stripe.checkout.sessions.create(paymentParams());
    expect(await expireSession(fake.url, a.id)).toMatchObject({ status: "expired", url: null });
    expect((await stripe.checkout.sessions.retrieve(a.id)).status).toBe("expired");
    const b = await stripe.checkout.sessions.create(paymentParams());
    expect((await stripe.checkout.sessions.expire(b.id)).status).toBe("expired");
  });

  it("the checkout page's Pay button completes the session and redirects to success_url", async () => {
    const a = await stripe.checkout.sessions.create(paymentParams());
    const res = await fetch(`${fake.url}/checkout/${a.id}/pay`, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`http://app.test/billing/success?session_id=${a.id}`);
    expect((await stripe.checkout.sessions.retrieve(a.id)).payment_status).toBe("paid");
  });
});

describe("payment intents", () => {
  it("charges a saved card off-session", async () => {
    const { customer, pm } = await savedCard();
    const pi = await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: "usd",
        customer: customer.id,
        payment_method: pm.id,
        off_session: true,
        confirm: true,
        metadata: { topup_id: "auto_1" },
        description: "Auto top-up",
      },
      { idempotencyKey: "auto-1" },
    );
    expect(pi).toMatchObject({
      object: "payment_intent",
      status: "succeeded",
      amount: 2000,
      amount_received: 2000,
      currency: "usd",
      customer: customer.id,
      payment_method: pm.id,
      metadata: { topup_id: "auto_1" },
      livemode: false,
    });
    expect(pi.id).toMatch(/^pi_/);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ amount: 2000, paid: true, payment_intent: pi.id, customer: customer.id });
    expect(charge.receipt_url).toBe(`${fake.url}/receipts/${charge.id}`);
    const expanded = await stripe.paymentIntents.retrieve(pi.id, { expand: ["latest_charge"] });
    expect((expanded.latest_charge as Stripe.Charge).id).toBe(charge.id);
  });

  it("declines a card marked as declining with a 402 card error carrying the PaymentIntent", async () => {
    const { customer, pm } = await savedCard();
    await setDecline(fake.url, pm.id, true);
    const err = await rejection(
      stripe.paymentIntents.create({
        amount: 2000,
        currency: "usd",
        customer: customer.id,
        payment_method: pm.id,
        off_session: true,
        confirm: true,
      }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.statusCode).toBe(402);
    expect(err.code).toBe("card_declined");
    expect(err.decline_code).toBe("insufficient_funds");
    expect(err.message).toBe("Your card has insufficient funds.");
    // The SDK copies error.payment_intent onto the error (typed) and keeps the whole body in `raw`.
    expect(err.payment_intent.id).toMatch(/^pi_/);
    expect(err.raw.payment_intent.id).toBe(err.payment_intent.id);
    expect(err.payment_intent).toMatchObject({
      status: "requires_payment_method",
      last_payment_error: {
        code: "card_declined",
        decline_code: "insufficient_funds",
        message: "Your card has insufficient funds.",
      },
    });
    const stored = await stripe.paymentIntents.retrieve(err.payment_intent.id);
    expect(stored.status).toBe("requires_payment_method");

    await setDecline(fake.url, pm.id, false);
    const ok = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      customer: customer.id,
      payment_method: pm.id,
      off_session: true,
      confirm: true,
    });
    expect(ok.status).toBe("succeeded");
  });

  it("rejects a saved card used without its customer", async () => {
    const { pm } = await savedCard();
    const err = await rejection(
      stripe.paymentIntents.create({ amount: 2000, currency: "usd", payment_method: pm.id, confirm: true }),
    );
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.param).toBe("payment_method");
  });
});

describe("events", () => {
  it("lists events newest first, filtered by types, created and delivery_success", async () => {
    const t0 = 1_800_000_000;
    const obj = (id: string) => ({ object: { id, object: "checkout.session" } });
    const e1 = await addEvent(fake.url, { type: "checkout.session.completed", data: obj("cs_1"), created: t0 });
    const e2 = await addEvent(fake.url, { type: "checkout.session.expired", data: obj("cs_2"), created: t0 + 10 });
    const e3 = await addEvent(fake.url, {
      type: "checkout.session.async_payment_succeeded",
      data: obj("cs_3"),
      created: t0 + 20,
    });
    const e4 = await addEvent(fake.url, {
      type: "checkout.session.completed",
      data: obj("cs_4"),
      created: t0 + 30,
      delivery_success: true,
    });
    expect(e1).toMatchObject({
      object: "event",
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      livemode: false,
      delivery_success: false,
    });
    expect(e1.id).toMatch(/^evt_/);

    const all = await stripe.events.list();
    expect(all.object).toBe("list");
    expect(all.has_more).toBe(false);
    expect(all.data.map((e) => e.id)).toEqual([e4.id, e3.id, e2.id, e1.id]);
    expect(all.data[0]).not.toHaveProperty("delivery_success");

    const completed = await stripe.events.list({
      types: ["checkout.session.completed", "checkout.session.async_payment_succeeded"],
    });
    expect(completed.data.map((e) => e.id)).toEqual([e4.id, e3.id, e1.id]);

    const recent = await stripe.events.list({ created: { gte: t0 + 10 } });
    expect(recent.data.map((e) => e.id)).toEqual([e4.id, e3.id, e2.id]);

    const undelivered = await stripe.events.list({
      types: ["checkout.session.completed"],
      delivery_success: false,
    });
    expect(undelivered.data.map((e) => e.id)).toEqual([e1.id]);

    await markDelivered(fake.url, e1.id);
    expect((await stripe.events.list({ delivery_success: false })).data.map((e) => e.id)).toEqual([e3.id, e2.id]);
    expect((await stripe.events.retrieve(e2.id)).data.object).toEqual({ id: "cs_2", object: "checkout.session" });

    const listed = (await requests(fake.url)).find((r) => r.query.types);
    expect(listed?.query).toEqual({
      types: ["checkout.session.completed", "checkout.session.async_payment_succeeded"],
    });
  });

  it("paginates with limit/starting_after, so autoPagingToArray sees every event", async () => {
    const t0 = 1_800_000_000;
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const e = await addEvent(fake.url, {
        type: i % 5 === 0 ? "charge.refunded" : "checkout.session.completed",
        data: { object: { id: `cs_${i}`, object: "checkout.session" } },
        created: t0 + Math.floor(i / 3), // ties on created too
      });
      ids.push(e.id);
    }
    const newestFirst = [...ids].reverse();

    const page1 = await stripe.events.list();
    expect(page1.data).toHaveLength(10);
    expect(page1.has_more).toBe(true);
    const page2 = await stripe.events.list({ limit: 10, starting_after: page1.data[9].id });
    expect(page2.data.map((e) => e.id)).toEqual(newestFirst.slice(10, 20));
    const back = await stripe.events.list({ limit: 3, ending_before: page2.data[0].id });
    expect(back.data.map((e) => e.id)).toEqual(newestFirst.slice(7, 10));

    const every = await stripe.events.list().autoPagingToArray({ limit: 1000 });
    expect(every.map((e) => e.id)).toEqual(newestFirst);

    const completed: string[] = [];
    await stripe.events.list({ types: ["checkout.session.completed"], limit: 3 }).autoPagingEach((e) => {
      completed.push(e.id);
    });
    expect(completed).toEqual(newestFirst.filter((id) => ids.indexOf(id) % 5 !== 0));
    expect(completed).toHaveLength(20);

    const err = await rejection(stripe.events.list({ limit: 101 }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.param).toBe("limit");
  });
});

describe("faults", () => {
  it("fails the next matching requests with the injected status, then recovers", async () => {
    const s = await stripe.checkout.sessions.create(paymentParams());
    await fault(fake.url, { path: "/v1/checkout/sessions/", method: "GET", status: 500, times: 2 });

    for (let i = 0; i < 2; i++) {
      const err = await rejection(stripe.checkout.sessions.retrieve(s.id));
      expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(err.statusCode).toBe(500);
      expect(err.message).toBe("fake fault");
    }
    expect((await stripe.checkout.sessions.retrieve(s.id)).id).toBe(s.id);
    expect((await state(fake.url)).faults).toEqual([]);

    // A faulted POST creates nothing and saves nothing under its idempotency key: the retry runs for real.
    await fault(fake.url, { path: "/v1/checkout/sessions", method: "POST", status: 503 });
    const err = await rejection(stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: "k-fault" }));
    expect(err.statusCode).toBe(503);
    const retried = await stripe.checkout.sessions.create(paymentParams(), { idempotencyKey: "k-fault" });
    expect(retried.id).not.toBe(s.id);
    expect((await state(fake.url)).checkout_sessions).toHaveLength(2);
    expect((await requests(fake.url)).filter((r) => r.fault)).toHaveLength(3);
  });
});

describe("spawnFakeStripe", () => {
  it("starts a second independent instance and stops it", async () => {
    const other = await spawnFakeStripe();
    try {
      expect(other.port).not.toBe(fake.port);
      const client = new Stripe("sk_test_other", stripeOptions(other.url));
      await client.customers.create({ email: "x@example.com" });
      expect((await state(other.url)).customers).toHaveLength(1);
      expect((await state(fake.url)).customers).toHaveLength(0);
    } finally {
      await other.stop();
    }
    await expect(fetch(`${other.url}/_test/state`)).rejects.toThrow();
  });
});
