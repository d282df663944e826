// The payments console and platform analytics against the real server and the fake Stripe: a paid
// session whose webhook never came is listed as stuck and credited exactly once by the audited
// re-run; mismatches are listed for review with their reason; webhook events with their result; a
// dispute's review flag cleared (audited); and the analytics figures equal the receipts and the
// ledger to the nano for a known set of requests (real ones through the gateway and seeded ones).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { usdToNanos } from "@/lib/billing/money";
import { formatUsd } from "@/lib/format";
import { signInForSessionCookie } from "./session";
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
import { insertKey, seedBilledRequests } from "./usage-seed";

let s: StripeStack;
let orgId: string;
let owner: { userId: string; cookie: string };
let admin: { userId: string; cookie: string };

beforeAll(async () => {
  s = await startStripeStack();
  process.env.DATABASE_URL = s.stack.databaseUrl; // the lib functions called directly below
  orgId = (await s.stack.admin.createOrganization("Payments Buyer", "1.00")).id;
  owner = await signedInMember(s.stack, orgId, "OWNER");
  const email = `ops-${Date.now()}@admin.test`;
  const password = "admin password 1";
  const adminId = `u_admin_${Date.now()}`;
  await s.stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, $3, 'ADMIN', now())`,
    [adminId, email, await hashPassword(password)],
  );
  admin = { userId: adminId, cookie: await signInForSessionCookie(s.stack.app.url, email, password) };
}, 120_000);

afterAll(async () => {
  const { closePool } = await import("@/lib/db/pool");
  await closePool();
  await s?.stop();
});

/** The management API as the signed-in admin (the console's own calls). */
async function asAdmin(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.stack.app.url}${path}`, {
    method,
    headers: {
      cookie: admin.cookie,
      ...(method === "GET" ? {} : { origin: s.stack.app.url, "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function page(path: string, cookie = admin.cookie): Promise<{ status: number; html: string }> {
  const res = await fetch(`${s.stack.app.url}${path}`, { headers: { cookie } });
  return { status: res.status, html: (await res.text()).replaceAll("<!-- -->", "") };
}

const escape = (text: string) => text.replace(/[$.,]/g, "\\$&");

async function startTopUp(amountUsd: string) {
  const res = await billingApi(s.stack, owner.cookie, "POST", "/api/billing/checkout", {
    organizationId: orgId,
    amountUsd,
  });
  expect(res.status).toBe(200);
  const { rows } = await s.stack.db.query(`SELECT id FROM "Payment" WHERE "stripeSessionId" = $1`, [res.body.id]);
  return { sessionId: res.body.id as string, paymentId: rows[0].id as string };
}

async function topUpEntries(paymentId: string): Promise<bigint[]> {
  const { rows } = await s.stack.db.query(
    `SELECT "amountNanos" FROM "LedgerEntry" WHERE kind = 'TOPUP' AND reference = $1`,
    [paymentId],
  );
  return rows.map((r) => r.amountNanos as bigint);
}

describe("stuck top-ups and re-running fulfilment", () => {
  it("lists a paid session whose webhook never came as stuck, and the re-run credits it exactly once, audited", async () => {
    const { sessionId, paymentId } = await startTopUp("20.00");
    await fake.completeSession(s.fakeStripe.url, sessionId); // paid at Stripe; no webhook is ever delivered
    const fresh = await s.stack.admin.request("GET", `/api/admin/payments?stuck=true`);
    expect(fresh.body.data.map((p: { id: string }) => p.id)).not.toContain(paymentId); // not stuck yet: 1 hour
    await s.stack.db.query(`UPDATE "Payment" SET "createdAt" = "createdAt" - interval '2 hours' WHERE id = $1`, [
      paymentId,
    ]);

    const stuck = await s.stack.admin.request("GET", `/api/admin/payments?stuck=true`);
    expect(stuck.status).toBe(200);
    const listed = stuck.body.data.find((p: { id: string }) => p.id === paymentId);
    expect(listed).toMatchObject({
      status: "PENDING",
      isStuck: true,
      kind: "CHECKOUT",
      amountUsd: "20.00",
      organization: { id: orgId, name: "Payments Buyer" },
      stripe: { sessionId },
    });
    const before = await page("/admin/payments");
    expect(before.status).toBe(200);
    const stuckSection = before.html.slice(before.html.indexOf('data-testid="stuck-payments"'));
    expect(stuckSection.slice(0, stuckSection.indexOf("</table>"))).toContain(paymentId);
    expect(before.html).toContain("Stuck (pending)");

    // CSRF: the cookie alone from another origin does nothing; a tenant cannot call it at all.
    const crossSite = await asAdmin(
      "POST",
      `/api/admin/payments/${paymentId}/fulfill`,
      {},
      { origin: "https://evil.test" },
    );
    expect(crossSite.status).toBe(403);
    const tenant = await billingApi(s.stack, owner.cookie, "POST", `/api/admin/payments/${paymentId}/fulfill`, {});
    expect(tenant.status).toBe(403);
    expect(await topUpEntries(paymentId)).toEqual([]);

    const balance = await balanceOf(s.stack, orgId);
    const first = await asAdmin("POST", `/api/admin/payments/${paymentId}/fulfill`, {});
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      result: "credited",
      payment: { id: paymentId, status: "SUCCEEDED", isStuck: false },
    });
    expect(first.body.message).toContain("credited");
    const again = await asAdmin("POST", `/api/admin/payments/${paymentId}/fulfill`, {});
    expect(again.body.result).toBe("already_credited");
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => s.stack.admin.request("POST", `/api/admin/payments/${paymentId}/fulfill`)),
    );
    expect(concurrent.map((r) => r.body.result)).toEqual(["already_credited", "already_credited", "already_credited"]);

    expect(await topUpEntries(paymentId)).toEqual([usdToNanos("20")]);
    expect(await balanceOf(s.stack, orgId)).toBe(balance + usdToNanos("20"));
    expect(await ledgerGap(s.stack, orgId)).toBe(0n);

    const { rows: audit } = await s.stack.db.query(
      `SELECT "actorUserId", before, after, data, ip FROM "AuditEvent" WHERE action = 'payment.fulfill' AND "targetId" = $1
        ORDER BY "createdAt", id`,
      [paymentId],
    );
    expect(audit).toHaveLength(5);
    expect(audit[0]).toMatchObject({
      actorUserId: admin.userId,
      before: { status: "PENDING", creditedAt: null, stripeSessionId: sessionId },
      after: { status: "SUCCEEDED" },
      data: { result: "credited", via: "session", organizationId: orgId },
    });
    expect(audit[0].after.creditedAt).toEqual(expect.any(String));
    expect(audit.slice(1).map((a) => a.data.result)).toEqual(Array(4).fill("already_credited"));

    const notice = await page(`/admin/payments?rerun=${paymentId}&result=credited`);
    expect(notice.html).toContain(`Fulfilment re-run for the $20.00 top-up of Payments Buyer (`);
    expect(notice.html).toContain("the top-up was credited now.");
    expect((await page(`/admin/payments?rerun=${paymentId}&result=%3Cb%3Ehi`)).html).not.toContain("Fulfilment re-run");

    const after = await s.stack.admin.request("GET", `/api/admin/payments?stuck=true`);
    expect(after.body.data.map((p: { id: string }) => p.id)).not.toContain(paymentId);
    const credited = await s.stack.admin.request(
      "GET",
      `/api/admin/payments?status=SUCCEEDED&organization=payments%20buy`,
    );
    expect(credited.body.data.map((p: { id: string }) => p.id)).toContain(paymentId);
  });

  it("refuses a top-up that never reached Stripe and an unknown id, changing nothing", async () => {
    await s.stack.db.query(
      `INSERT INTO "Payment" (id, "organizationId", "amountNanos", "updatedAt") VALUES ('top_never_sent', $1, $2, now())`,
      [orgId, usdToNanos("5")],
    );
    const res = await s.stack.admin.request("POST", `/api/admin/payments/top_never_sent/fulfill`);
    expect(res.status).toBe(409);
    expect((await s.stack.admin.request("POST", `/api/admin/payments/top_nope/fulfill`)).status).toBe(404);
    expect(await topUpEntries("top_never_sent")).toEqual([]);
  });
});

describe("listing", () => {
  it("lists top-ups newest first in cursor pages, filtered by status, kind and organization", async () => {
    const other = (await s.stack.admin.createOrganization("Other Shop")).id;
    for (let i = 0; i < 3; i++) {
      await s.stack.db.query(
        `INSERT INTO "Payment" (id, "organizationId", kind, "amountNanos", status, "createdAt", "updatedAt")
         VALUES ($1, $2, 'AUTO_TOP_UP', $3, 'FAILED', now() - ($4 || ' minutes')::interval, now())`,
        [`top_auto_${i}`, other, usdToNanos("7"), String(i)],
      );
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { id: string; createdAt: string }[]; nextCursor: string | null } } =
        await s.stack.admin.request("GET", `/api/admin/payments?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      all.push(...res.body.data.map((p) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    const { rows } = await s.stack.db.query(`SELECT id FROM "Payment" ORDER BY "createdAt" DESC, id DESC`);
    expect(all).toEqual(rows.map((r) => r.id));

    const auto = await s.stack.admin.request("GET", `/api/admin/payments?kind=AUTO_TOP_UP&organization=${other}`);
    expect(auto.body.data.map((p: { id: string }) => p.id)).toEqual(["top_auto_0", "top_auto_1", "top_auto_2"]);
    const none = await s.stack.admin.request("GET", `/api/admin/payments?kind=AUTO_TOP_UP&status=SUCCEEDED`);
    expect(none.body.data).toEqual([]);
    expect((await s.stack.admin.request("GET", `/api/admin/payments?status=PAID`)).status).toBe(400);
    const filtered = await page(`/admin/payments?kind=AUTO_TOP_UP&organization=Other`);
    expect(filtered.html).toContain("top_auto_2");
    expect(filtered.html).not.toMatch(/data-testid="payments"[\s\S]*Payments Buyer[\s\S]*<\/table>/);
  });

  it("lists a mismatched payment as needing review with its reason, and the webhook event with its result", async () => {
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId, { amount_total: 999 });
    const event = stripeEvent("checkout.session.completed", { id: sessionId, object: "checkout.session" });
    expect((await deliver(s, event)).body.result).toBe("mismatch");

    const review = await s.stack.admin.request("GET", `/api/admin/payments?status=NEEDS_REVIEW`);
    const listed = review.body.data.find((p: { id: string }) => p.id === paymentId);
    expect(listed.status).toBe("NEEDS_REVIEW");
    expect(listed.reviewReason).toContain("Stripe reported 999 usd in cents, we expected 1000 usd");
    const html = (await page("/admin/payments")).html;
    const reviewSection = html.slice(html.indexOf('data-testid="review-payments"'));
    expect(reviewSection.slice(0, reviewSection.indexOf("</table>"))).toContain(
      "Stripe reported 999 usd in cents, we expected 1000 usd",
    );

    const events = await s.stack.admin.request("GET", `/api/admin/stripe-events`);
    expect(events.status).toBe(200);
    expect(events.body.data[0]).toMatchObject({
      id: event.id,
      type: "checkout.session.completed",
      objectId: sessionId,
      result: "mismatch",
      payment: { id: paymentId, organizationId: orgId, organizationName: "Payments Buyer" },
    });
    const mismatches = await s.stack.admin.request("GET", `/api/admin/stripe-events?result=mismatch`);
    expect(mismatches.body.data.map((e: { id: string }) => e.id)).toEqual([event.id]);
    expect(html).toContain(event.id);
    expect(html).toMatch(/data-testid="stripe-events"[\s\S]*mismatch/);

    // The re-run agrees: still a mismatch, nothing credited.
    const rerun = await asAdmin("POST", `/api/admin/payments/${paymentId}/fulfill`, {});
    expect(rerun.body).toMatchObject({ result: "mismatch", payment: { status: "NEEDS_REVIEW" } });
    expect(await topUpEntries(paymentId)).toEqual([]);
  });
});

describe("disputes and the review flag", () => {
  it("shows a dispute's ledger entry and flagged organization; clearing the flag is audited", async () => {
    const { sessionId, paymentId } = await startTopUp("10.00");
    await fake.completeSession(s.fakeStripe.url, sessionId);
    expect(
      (await deliver(s, stripeEvent("checkout.session.completed", { id: sessionId, object: "checkout.session" }))).body
        .result,
    ).toBe("credited");
    const { rows } = await s.stack.db.query(
      `SELECT "stripeChargeId", "stripePaymentIntentId" FROM "Payment" WHERE id = $1`,
      [paymentId],
    );
    const disputeId = `dp_admin_${Date.now()}`;
    const opened = stripeEvent("charge.dispute.created", {
      id: disputeId,
      object: "dispute",
      amount: 1000,
      currency: "usd",
      charge: rows[0].stripeChargeId,
      payment_intent: rows[0].stripePaymentIntentId,
      reason: "fraudulent",
      status: "needs_response",
    });
    expect((await deliver(s, opened)).body.result).toBe("dispute_debited");

    const html = (await page("/admin/payments")).html;
    expect(html).toMatch(
      new RegExp(`data-testid="refunded-payments"[\\s\\S]*${paymentId}[\\s\\S]*disputed \\$10\\.00`),
    );
    expect(html).toMatch(
      new RegExp(`data-testid="refund-ledger"[\\s\\S]*Dispute opened[\\s\\S]*${disputeId}[\\s\\S]*-\\$10\\.00`),
    );
    expect(html).toMatch(new RegExp(`data-testid="flagged-organizations"[\\s\\S]*Payments Buyer[\\s\\S]*${disputeId}`));
    const overview = (await page("/admin")).html;
    expect(overview).toMatch(/data-testid="kpi-flagged"[\s\S]*?>1</);

    expect(
      (await asAdmin("POST", `/api/admin/organizations/${orgId}/clear-review`, {}, { origin: "https://evil.test" }))
        .status,
    ).toBe(403);
    const cleared = await asAdmin("POST", `/api/admin/organizations/${orgId}/clear-review`, {
      note: "customer called",
    });
    expect(cleared).toMatchObject({ status: 200, body: { id: orgId, cleared: true, reviewReason: null } });
    const twice = await asAdmin("POST", `/api/admin/organizations/${orgId}/clear-review`, {});
    expect(twice.body.cleared).toBe(false);
    expect((await asAdmin("POST", `/api/admin/organizations/org_nope/clear-review`, {})).status).toBe(404);
    const { rows: org } = await s.stack.db.query(
      `SELECT "billingReviewAt", "billingReviewReason" FROM "Organization" WHERE id = $1`,
      [orgId],
    );
    expect(org[0]).toEqual({ billingReviewAt: null, billingReviewReason: null });
    const { rows: audit } = await s.stack.db.query(
      `SELECT "actorUserId", before, after, data FROM "AuditEvent" WHERE action = 'organization.clear_review' AND "targetId" = $1`,
      [orgId],
    );
    expect(audit).toHaveLength(1); // the second call changed nothing and recorded nothing
    expect(audit[0]).toMatchObject({
      actorUserId: admin.userId,
      after: { billingReviewAt: null, billingReviewReason: null },
      data: { note: "customer called" },
    });
    expect(audit[0].before.billingReviewReason).toContain(disputeId);
    expect((await page("/admin/payments")).html).toContain("No flagged organizations");
  });
});

describe("analytics", () => {
  it("equals the receipts and the ledger to the nano for a known set of requests", async () => {
    const { getPlatformAnalytics } = await import("@/lib/admin/analytics");
    // Real requests through the gateway on one channel (the fake upstream), one of them failing.
    await s.stack.admin.disableAllChannels();
    const channel = await s.stack.admin.createChannel({
      name: "analytics upstream",
      baseUrl: s.stack.upstream.baseUrl,
      models: ["deepseek-v3", "gpt-4o"],
      modelMapping: { "deepseek-v3": "deepseek-chat" },
    });
    const spender = (await s.stack.admin.createOrganization("Analytics Spender", "50")).id;
    const client = s.stack.sdk((await s.stack.admin.createKey(spender)).key);
    for (const model of ["deepseek-v3", "gpt-4o", "deepseek-v3"]) {
      await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: "count to five" }],
        max_tokens: 20,
      });
    }
    // A stream the upstream cuts short counts against its channel; a request whose every attempt
    // failed is answered without a serving channel (its receipt names none).
    const cut = await client.chat.completions.create({
      model: "deepseek-v3",
      messages: [{ role: "user", content: "cut" }],
      max_tokens: 20,
      stream: true,
      fake_fault: "cut-after:2",
    } as never);
    await (async () => {
      for await (const chunk of cut as unknown as AsyncIterable<unknown>) void chunk;
    })().catch(() => undefined);
    await client.chat.completions
      .create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "fail" }],
        max_tokens: 5,
        fake_fault: "status:500",
      } as never)
      .catch(() => undefined);
    // Seeded billed requests over the last 5 days for two more organizations (the real money path).
    const seeded: string[] = [];
    for (const [name, seed] of [
      ["Seeded One", 3],
      ["Seeded Two", 4],
    ] as const) {
      const id = (await s.stack.admin.createOrganization(name, "500")).id;
      await insertKey(s.stack.db, { id: `key_${seed}`, organizationId: id, name: `seeded ${seed}` });
      await seedBilledRequests(s.stack.db, {
        organizationId: id,
        keyIds: [`key_${seed}`, null],
        count: 30,
        days: 5,
        seed,
      });
      seeded.push(id);
    }

    const a = await getPlatformAnalytics(7);
    const sum = async (sql: string, values: unknown[] = []) =>
      BigInt((await s.stack.db.query(sql, values)).rows[0].v ?? 0);
    const receiptsTotal = await sum(`SELECT sum("costNanos") AS v FROM "RequestLog"`);
    const usageLedger = await sum(`SELECT -sum("amountNanos") AS v FROM "LedgerEntry" WHERE kind = 'USAGE'`);
    expect(receiptsTotal).toBeGreaterThan(0n);
    expect(a.totals.spendNanos).toBe(receiptsTotal);
    expect(a.totals.spendNanos).toBe(usageLedger);
    expect(a.totals.requests).toBe(await sum(`SELECT count(*) AS v FROM "RequestLog" WHERE "requestCount" = 1`));
    expect(a.totals.revenueNanos).toBe(
      await sum(`SELECT sum("amountNanos") AS v FROM "LedgerEntry" WHERE kind = 'TOPUP'`),
    );
    // With the tests above: the $20 re-run and the $10 top-up later disputed.
    const topUps = await sum(`SELECT sum("amountNanos") AS v FROM "LedgerEntry" WHERE kind = 'TOPUP'`);
    const moneyBack = await sum(
      `SELECT sum("amountNanos") AS v FROM "LedgerEntry" WHERE kind IN ('REFUND', 'DISPUTE', 'DISPUTE_REVERSAL')`,
    );
    expect(a.totals.moneyBackNanos).toBe(moneyBack);
    expect(a.revenueByDay.reduce((t, d) => t + d.nanos, 0n)).toBe(topUps);

    const { rows: perModel } = await s.stack.db.query(
      `SELECT "modelRouted" AS model, sum("costNanos") AS cost, sum("outputTokens") AS output FROM "RequestLog"
        WHERE "requestCount" = 1 GROUP BY 1`,
    );
    for (const row of perModel) {
      const m = a.byModel.find((x) => x.model === (row.model ?? ""));
      expect(m?.costNanos, row.model).toBe(BigInt(row.cost));
      expect(m?.outputTokens, row.model).toBe(BigInt(row.output));
    }
    for (const id of [spender, ...seeded]) {
      const ledger = await sum(
        `SELECT -sum("amountNanos") AS v FROM "LedgerEntry" WHERE kind = 'USAGE' AND "organizationId" = $1`,
        [id],
      );
      expect(a.topOrganizations.find((o) => o.id === id)?.costNanos).toBe(ledger);
    }
    const stats = a.channels.find((c) => c.channelId === channel.id)!;
    const { rows: ch } = await s.stack.db.query(
      `SELECT count(*) AS n, count(*) FILTER (WHERE "errorCode" IS NOT NULL) AS errors, sum("costNanos") AS cost,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY "latencyMs") AS p50
         FROM "RequestLog" WHERE "channelId" = $1`,
      [channel.id],
    );
    expect(stats).toMatchObject({
      name: "analytics upstream",
      requests: BigInt(ch[0].n),
      errors: BigInt(ch[0].errors),
    });
    // The 500 after every attempt counts too: its receipt names the last channel that failed.
    expect(stats.requests).toBe(5n);
    expect(stats.errors).toBe(2n);
    expect(stats.costNanos).toBe(BigInt(ch[0].cost));
    expect(stats.p50LatencyMs).toBe(ch[0].p50);
    expect(a.channels.find((c) => c.channelId === null)?.errors ?? 0n).toBe(0n);
    const channelDays = a.byChannelDay.filter((d) => d.series === channel.id);
    expect(channelDays.reduce((t, d) => t + d.costNanos, 0n)).toBe(stats.costNanos);

    const html = (await page("/admin/analytics?days=7")).html;
    expect(html).toMatch(new RegExp(`data-testid="analytics-spend"[\\s\\S]*?${escape(formatUsd(receiptsTotal))}`));
    expect(html).toMatch(new RegExp(`data-testid="analytics-revenue"[\\s\\S]*?${escape(formatUsd(topUps))}`));
    expect(html).toContain('data-testid="channels-table"');
    expect(html).toMatch(/analytics upstream[\s\S]*?40\.0% \(2\)/);
    expect(html).toMatch(/aria-current="page"[^>]*>7 days</);
    const overview = (await page("/admin")).html;
    expect(overview).toMatch(new RegExp(`data-testid="kpi-spend"[\\s\\S]*?${escape(formatUsd(receiptsTotal))}`));
    expect(overview).toMatch(new RegExp(`data-testid="kpi-revenue"[\\s\\S]*?${escape(formatUsd(topUps))}`));
  });

  it("keeps the pages from tenants: a tenant's session gets a 404", async () => {
    for (const path of ["/admin", "/admin/payments", "/admin/analytics"]) {
      expect((await page(path, owner.cookie)).status).toBe(404);
    }
    expect((await billingApi(s.stack, owner.cookie, "GET", "/api/admin/stripe-events", undefined)).status).toBe(403);
  });
});
