// The whole system with Stripe: the fake Stripe API as its own process (e2e/fake-stripe), the
// production server pointed at it (STRIPE_API_BASE_URL), and helpers that act as the tenant (a
// signed-in owner calling /api/billing/*) and as Stripe (events signed with the endpoint secret,
// the way Stripe signs them).
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { hashPassword } from "@/lib/auth/password";
import * as fake from "@/e2e/fake-stripe/client";
import { signInForSessionCookie } from "./session";
import { startStack, type Stack } from "./stack";

export interface StripeStack {
  stack: Stack;
  fakeStripe: fake.FakeStripeHandle;
  stripe: Stripe;
  secretKey: string;
  webhookSecret: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startStripeStack(opts: { env?: Record<string, string> } = {}): Promise<StripeStack> {
  const fakeStripe = await fake.spawnFakeStripe();
  const secretKey = `sk_test_${randomBytes(12).toString("hex")}`;
  const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
  const env = {
    STRIPE_SECRET_KEY: secretKey,
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_API_BASE_URL: fakeStripe.url,
  };
  const stack = await startStack({ env: { ...env, ...opts.env } });
  return {
    stack,
    fakeStripe,
    stripe: new Stripe(secretKey, fake.stripeOptions(fakeStripe.url)),
    secretKey,
    webhookSecret,
    env,
    async stop() {
      await stack.stop();
      await fakeStripe.stop();
    },
  };
}

/** A user with a password, a member of `organizationId` with `role`; returns their session cookie. */
export async function signedInMember(
  stack: Stack,
  organizationId: string,
  role: "OWNER" | "ADMIN" | "MEMBER",
): Promise<{ userId: string; email: string; cookie: string }> {
  const userId = `u_${randomBytes(8).toString("hex")}`;
  const email = `${role.toLowerCase()}-${randomBytes(4).toString("hex")}@billing.test`;
  const password = "billing password 1";
  await stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", "updatedAt") VALUES ($1, $2, $3, CURRENT_TIMESTAMP)`,
    [userId, email, await hashPassword(password)],
  );
  await stack.db.query(`INSERT INTO "Membership" (id, "userId", "organizationId", role) VALUES ($1, $2, $3, $4)`, [
    `m_${randomBytes(8).toString("hex")}`,
    userId,
    organizationId,
    role,
  ]);
  return { userId, email, cookie: await signInForSessionCookie(stack.app.url, email, password) };
}

/** A same-origin JSON call of the dashboard's billing API with a session cookie. */
export async function billingApi(
  stack: Stack,
  cookie: string | null,
  method: string,
  path: string,
  body: unknown,
  origin: string = stack.app.url,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.app.url}${path}`, {
    method,
    headers: { "content-type": "application/json", origin, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

let eventCounter = 0;

/** A Stripe event around `object`, as Stripe would send it. */
export function stripeEvent(type: string, object: Record<string, unknown>, extra: Partial<Stripe.Event> = {}) {
  return {
    id: `evt_test_${Date.now()}_${++eventCounter}_${randomBytes(3).toString("hex")}`,
    object: "event",
    api_version: "2025-01-01",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...extra,
  };
}

/** Posts an event to our webhook, signed with `secret` at `timestamp` (Stripe's scheme). */
export async function deliver(
  s: StripeStack,
  event: object | string,
  opts: { secret?: string; timestamp?: number; signature?: string | null; tamper?: (payload: string) => string } = {},
): Promise<{ status: number; body: any }> {
  const payload = typeof event === "string" ? event : JSON.stringify(event);
  const header =
    opts.signature === undefined
      ? s.stripe.webhooks.generateTestHeaderString({
          payload,
          secret: opts.secret ?? s.webhookSecret,
          ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
        })
      : opts.signature;
  const res = await fetch(`${s.stack.app.url}/api/stripe/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(header === null ? {} : { "stripe-signature": header }) },
    body: opts.tamper ? opts.tamper(payload) : payload,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** balance + held − Σ ledger for one organization: 0 when the books balance. */
export async function ledgerGap(stack: Stack, organizationId: string): Promise<bigint> {
  const { rows } = await stack.db.query(
    `SELECT o."balanceNanos" + o."heldNanos" - COALESCE((SELECT sum("amountNanos") FROM "LedgerEntry" WHERE "organizationId" = o.id), 0) AS gap
       FROM "Organization" o WHERE o.id = $1`,
    [organizationId],
  );
  return BigInt(rows[0].gap);
}

export async function balanceOf(stack: Stack, organizationId: string): Promise<bigint> {
  const { rows } = await stack.db.query(`SELECT "balanceNanos" FROM "Organization" WHERE id = $1`, [organizationId]);
  return rows[0].balanceNanos as bigint;
}

export { fake };
