// Auto top-up end to end: an owner saves a card through Checkout in setup mode, turns auto top-up
// on, and real /v1 requests that take the balance below the threshold make the server charge the
// card off-session, once, credited through the same exactly-once path as a Checkout top-up. The
// one-in-flight rule and the daily maximum are the database's (proved with 50 racing runners), and
// a decline turns auto top-up off and emails the owners through a real SMTP server.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usdToNanos } from "@/lib/billing/money";
import { receivedMail, startMailCatcher, type MailCatcher } from "@/e2e/mail-catcher";
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
let mail: MailCatcher;
let runAutoTopUp: typeof import("@/lib/billing/stripe/auto-top-up").runAutoTopUp;
let closePool: () => Promise<void>;

beforeAll(async () => {
  mail = await startMailCatcher();
  s = await startStripeStack({ env: { SMTP_URL: mail.url, TOKENFLOW_OUTBOX_INTERVAL_MS: "100" } });
  await s.stack.admin.disableAllChannels();
  await s.stack.admin.createChannel({ name: "A", baseUrl: s.stack.upstream.baseUrl, models: ["gpt-4o"], priority: 10 });
  // The same code in this process, against the same database and fake Stripe, to race it directly.
  Object.assign(process.env, s.env, { DATABASE_URL: s.stack.databaseUrl });
  ({ runAutoTopUp } = await import("@/lib/billing/stripe/auto-top-up"));
  ({ closePool } = await import("@/lib/db/pool"));
}, 120_000);

afterAll(async () => {
  await closePool?.();
  await s?.stop();
  await mail?.stop();
});

/** An organization with `creditUsd`, an owner who saved a card, and auto top-up configured. */
async function organizationWithCard(name: string, creditUsd: string, autoTopUp: Record<string, unknown>) {
  const orgId = (await s.stack.admin.createOrganization(name, creditUsd)).id;
  const owner = await signedInMember(s.stack, orgId, "OWNER");
  const setup = await billingApi(s.stack, owner.cookie, "POST", "/api/billing/payment-method", {
    organizationId: orgId,
  });
  expect(setup.status).toBe(200);
  const sessionId = /\/checkout\/(cs_\w+)/.exec(setup.body.url)![1];
  await fake.completeSession(s.fakeStripe.url, sessionId);
  const saved = await deliver(s, stripeEvent("checkout.session.completed", { id: sessionId }));
  expect(saved.body.result).toBe("card_saved");
  const configured = await billingApi(s.stack, owner.cookie, "PUT", "/api/billing/auto-top-up", {
    organizationId: orgId,
    ...autoTopUp,
  });
  expect(configured.status).toBe(200);
  const { rows } = await s.stack.db.query(`SELECT "stripePaymentMethodId" FROM "Organization" WHERE id = $1`, [orgId]);
  return { orgId, owner, paymentMethodId: rows[0].stripePaymentMethodId as string, settings: configured.body };
}

async function paymentIntentsCreated(organizationId: string): Promise<number> {
  return (await fake.requests(s.fakeStripe.url)).filter(
    (r) =>
      r.method === "POST" &&
      r.path === "/v1/payment_intents" &&
      r.body.metadata?.organization_id === organizationId &&
      !r.idempotentReplay,
  ).length;
}

async function autoPayments(organizationId: string) {
  const { rows } = await s.stack.db.query(
    `SELECT status, "amountNanos", "failureReason" FROM "Payment" WHERE "organizationId" = $1 AND kind = 'AUTO_TOP_UP' ORDER BY "createdAt"`,
    [organizationId],
  );
  return rows;
}

/**
 * A runner that stalls on the organization's row: a transaction of the test holds the row while the
 * runner starts, does `meanwhile` (standing in for another top-up) and commits; answers the runner's outcome.
 */
async function runnerStalledBehind(orgId: string, meanwhile: (a: pg.PoolClient) => Promise<void>) {
  const a = await s.stack.db.connect();
  let runner: Promise<string> | undefined;
  try {
    await a.query("BEGIN");
    await a.query(`SELECT 1 FROM "Organization" WHERE id = $1 FOR UPDATE`, [orgId]);
    runner = runAutoTopUp(orgId);
    await waitFor(
      async () => {
        const { rows } = await s.stack.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%"Organization"%FOR NO KEY UPDATE%'`,
        );
        return rows[0].n as number;
      },
      (n) => n === 1,
      "the runner to wait on the organization's row",
    );
    await meanwhile(a);
    await a.query("COMMIT");
  } finally {
    a.release();
  }
  return runner;
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("auto top-up settings", () => {
  it("saves the card's label, validates the amounts and needs a card and an owner", async () => {
    const { orgId, owner, settings } = await organizationWithCard("Configured", "1.00", {
      enabled: true,
      thresholdUsd: "2.50",
      amountUsd: "20",
      maxPerDay: 3,
    });
    expect(settings).toEqual({
      enabled: true,
      thresholdUsd: "2.50",
      amountUsd: "20.00",
      maxPerDay: 3,
      card: "Visa •••• 4242",
    });
    const put = (body: Record<string, unknown>, cookie = owner.cookie) =>
      billingApi(s.stack, cookie, "PUT", "/api/billing/auto-top-up", {
        organizationId: orgId,
        enabled: true,
        thresholdUsd: "5",
        amountUsd: "10",
        maxPerDay: 1,
        ...body,
      });
    expect((await put({ amountUsd: "1.00" })).body.error.field).toBe("amountUsd");
    expect((await put({ thresholdUsd: "-1" })).body.error.field).toBe("thresholdUsd");
    expect((await put({ maxPerDay: 0 })).status).toBe(400);
    expect((await put({ maxPerDay: 21 })).status).toBe(400);
    const admin = await signedInMember(s.stack, orgId, "ADMIN");
    expect((await put({}, admin.cookie)).status).toBe(403);
    const bare = (await s.stack.admin.createOrganization("No card")).id;
    const bareOwner = await signedInMember(s.stack, bare, "OWNER");
    const noCard = await billingApi(s.stack, bareOwner.cookie, "PUT", "/api/billing/auto-top-up", {
      organizationId: bare,
      enabled: true,
      thresholdUsd: "5",
      amountUsd: "10",
      maxPerDay: 1,
    });
    expect(noCard.status).toBe(409);
    expect(noCard.body.error.message).toMatch(/Save a card first/);
  });
});

describe("auto top-up", () => {
  it("50 concurrent requests crossing the threshold make exactly one off-session payment, credited once", async () => {
    const { orgId } = await organizationWithCard("Busy", "1.00", {
      enabled: true,
      thresholdUsd: "1.00",
      amountUsd: "10.00",
      maxPerDay: 3,
    });
    const client = s.stack.sdk((await s.stack.admin.createKey(orgId)).key);
    const answers = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        client.chat.completions.create({
          model: "gpt-4o",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }),
      ),
    );
    expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(50);
    const payments = await waitFor(
      () => autoPayments(orgId),
      (rows) => rows.some((r) => r.status !== "PENDING"),
      "the auto top-up",
    );
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: "SUCCEEDED", amountNanos: usdToNanos("10") });
    expect(await paymentIntentsCreated(orgId)).toBe(1);
    const intent = (await fake.requests(s.fakeStripe.url)).find(
      (r) => r.path === "/v1/payment_intents" && r.body.metadata?.organization_id === orgId,
    )!;
    expect(intent.body).toMatchObject({ amount: "1000", currency: "usd", off_session: "true", confirm: "true" });
    const balance = await balanceOf(s.stack, orgId);
    expect(balance > usdToNanos("10.5") && balance < usdToNanos("11")).toBe(true);
    expect(await ledgerGap(s.stack, orgId)).toBe(0n);
  });

  it("lets one of 50 racing runners in, and no more than the daily maximum", async () => {
    const { orgId } = await organizationWithCard("Raced", "1.00", {
      enabled: true,
      thresholdUsd: "5.00",
      amountUsd: "5.00",
      maxPerDay: 2,
    });
    const round = async () => {
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => runAutoTopUp(orgId)));
      return outcomes.filter((o) => o !== "not_due");
    };
    expect(await round()).toEqual(["credited"]); // $1 + $5 = $6: above the threshold again
    expect(await round()).toEqual([]);
    await s.stack.admin.request("POST", `/api/admin/organizations/${orgId}/credits`, {
      amountUsd: "-2.00",
      reference: "second",
    });
    expect(await round()).toEqual(["credited"]); // $4 → $9, the second of the day
    await s.stack.admin.request("POST", `/api/admin/organizations/${orgId}/credits`, {
      amountUsd: "-5.00",
      reference: "third",
    });
    expect(await round()).toEqual([]); // $4 again, but the daily maximum of 2 is reached
    expect(await paymentIntentsCreated(orgId)).toBe(2);
    expect(await balanceOf(s.stack, orgId)).toBe(usdToNanos("4"));
    expect(await ledgerGap(s.stack, orgId)).toBe(0n);
  });

  it("a runner that decided before another's top-up was credited does not charge again", async () => {
    // The race behind a double charge: runner B reads the balance (below the threshold), then
    // stalls; meanwhile runner A's top-up completes (its payment is no longer PENDING, so the
    // one-in-flight index lets B in) and credits the balance. Here a transaction stands in for A:
    // it holds the organization's row while B starts, then credits the balance and commits.
    const { orgId } = await organizationWithCard("Stalled", "1.00", {
      enabled: true,
      thresholdUsd: "5.00",
      amountUsd: "5.00",
      maxPerDay: 5,
    });
    const outcome = await runnerStalledBehind(orgId, async (a) => {
      await a.query(`SELECT tf_credit($1, $2, 'ADJUSTMENT', $3, NULL, NULL)`, [
        orgId,
        usdToNanos("5"),
        `stalled-${orgId}`,
      ]);
    });
    expect(outcome).toBe("not_due"); // $6 now: above the threshold
    expect(await paymentIntentsCreated(orgId)).toBe(0);
    expect(await autoPayments(orgId)).toEqual([]);
    expect(await ledgerGap(s.stack, orgId)).toBe(0n);
  });

  it("a runner that waited on the organization's row counts the top-up that committed meanwhile against the daily maximum", async () => {
    // The same stall, but the other top-up leaves the balance below the threshold: the stalled
    // runner's check of the balance passes on the newer row, so only the daily count can stop it,
    // and that count must see the payment committed while it waited (not its statement's snapshot).
    const { orgId } = await organizationWithCard("Counted", "1.00", {
      enabled: true,
      thresholdUsd: "20.00",
      amountUsd: "5.00",
      maxPerDay: 1,
    });
    const outcome = await runnerStalledBehind(orgId, async (a) => {
      // The other runner's top-up of today, already completed and credited ($2: still below $20).
      await a.query(
        `INSERT INTO "Payment" (id, "organizationId", kind, "amountNanos", status, "creditedAt", "createdAt", "updatedAt")
         VALUES ($1, $2, 'AUTO_TOP_UP', $3, 'SUCCEEDED', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')`,
        [`pay-counted-${orgId}`, orgId, usdToNanos("1")],
      );
      await a.query(`SELECT tf_credit($1, $2, 'TOPUP', $3, NULL, NULL)`, [
        orgId,
        usdToNanos("1"),
        `pay-counted-${orgId}`,
      ]);
    });
    expect(outcome).toBe("not_due"); // today's one auto top-up is spent
    expect(await paymentIntentsCreated(orgId)).toBe(0);
    expect((await autoPayments(orgId)).map((p) => p.status)).toEqual(["SUCCEEDED"]);
    expect(await ledgerGap(s.stack, orgId)).toBe(0n);
  });

  it("a decline turns auto top-up off and emails the owner", async () => {
    const { orgId, owner, paymentMethodId } = await organizationWithCard("Declined", "1.00", {
      enabled: true,
      thresholdUsd: "1.00",
      amountUsd: "25.00",
      maxPerDay: 3,
    });
    await fake.setDecline(s.fakeStripe.url, paymentMethodId, true);
    const client = s.stack.sdk((await s.stack.admin.createKey(orgId)).key);
    await client.chat.completions.create({
      model: "gpt-4o",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    const [payment] = await waitFor(
      () => autoPayments(orgId),
      (rows) => rows[0]?.status === "FAILED",
      "the decline",
    );
    expect(payment.failureReason).toBe("Your card has insufficient funds.");
    const { rows } = await s.stack.db.query(`SELECT "autoTopUpEnabled" FROM "Organization" WHERE id = $1`, [orgId]);
    expect(rows[0].autoTopUpEnabled).toBe(false);
    const email = await waitFor(
      async () => receivedMail(mail.dir).find((m) => m.includes(`We tried to add $25.00 to "Declined"`)),
      (m) => m !== undefined,
      "the decline email",
    );
    expect(email).toContain(`To: ${owner.email}`);
    expect(email).toContain("Subject: Auto top-up of $25.00 failed for Declined");
    expect(email).toContain("Your card has insufficient funds.");
    // Off means off: more spending below the threshold charges nothing.
    expect(await runAutoTopUp(orgId)).toBe("not_due");
    expect(await paymentIntentsCreated(orgId)).toBe(1);
    expect((await balanceOf(s.stack, orgId)) < usdToNanos("1")).toBe(true);
  });
});
