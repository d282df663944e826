import { z } from "zod";
import { siteBaseUrl } from "@/lib/accounts/links";
import { ApiError, validationError } from "@/lib/api/errors";
import { getPool } from "@/lib/db/pool";
import { requireRole, type OrgActor } from "@/lib/organizations/access";
import { getPlatformSettings } from "@/lib/settings/platform";
import { nanosToCents, usdAmountSchema } from "./amounts";
import { isTopUpConfigured, stripeClient, TOP_UP_CURRENCY } from "./config";
import { newPaymentId } from "./payments";
import { logger } from "@/lib/log";

const log = logger("stripe");

// Starting a top-up: our pending Payment row first (its id is Stripe's idempotency key, the
// session's client_reference_id and metadata), then the Checkout Session. Owners and admins of the
// organization may top up; only owners save a card for auto top-up.

export const checkoutRequestSchema = z.strictObject({
  organizationId: z.string().min(1).max(100),
  amountUsd: z.string().max(20),
  saveCard: z.boolean().optional(),
});

export function notConfigured(): ApiError {
  return new ApiError("service_unavailable", "Top-up is not configured on this server. Ask an administrator.");
}

export async function createTopUpCheckout(
  actor: OrgActor,
  input: z.output<typeof checkoutRequestSchema>,
): Promise<{ id: string; url: string }> {
  await requireRole(actor, input.saveCard ? "OWNER" : "ADMIN");
  if (!isTopUpConfigured()) throw notConfigured();
  const settings = await getPlatformSettings();
  const parsed = usdAmountSchema({ minNanos: settings.topUpMinNanos, maxNanos: settings.topUpMaxNanos }).safeParse(
    input.amountUsd,
  );
  if (!parsed.success) throw validationError(parsed.error.issues.map((i) => ({ ...i, path: ["amountUsd"] })));
  const amountNanos = parsed.data;
  const customer = await ensureStripeCustomer(actor.organizationId);
  const paymentId = newPaymentId();
  await getPool().query(
    `INSERT INTO "Payment" (id, "organizationId", kind, "amountNanos", currency, status, "createdById", "createdAt", "updatedAt")
     VALUES ($1, $2, 'CHECKOUT', $3, $4, 'PENDING', $5, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'))`,
    [paymentId, actor.organizationId, amountNanos.toString(), TOP_UP_CURRENCY, actor.userId],
  );
  const metadata = {
    tokenflow_payment_id: paymentId,
    organization_id: actor.organizationId,
    ...(input.saveCard ? { save_card: "true" } : {}),
  };
  const base = siteBaseUrl();
  let session;
  try {
    session = await stripeClient().checkout.sessions.create(
      {
        mode: "payment",
        customer,
        client_reference_id: paymentId,
        metadata,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: TOP_UP_CURRENCY,
              unit_amount: nanosToCents(amountNanos),
              product_data: { name: "TokenFlow credit", description: "Prepaid credit for API usage" },
            },
          },
        ],
        payment_intent_data: {
          metadata,
          ...(input.saveCard ? { setup_future_usage: "off_session" as const } : {}),
        },
        success_url: `${base}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${base}/billing?checkout=cancelled`,
      },
      { idempotencyKey: `tokenflow-top-up-${paymentId}` },
    );
  } catch (err) {
    await getPool().query(
      `UPDATE "Payment" SET status = 'FAILED', "failureReason" = 'Stripe did not open a checkout', "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE id = $1`,
      [paymentId],
    );
    log.error({ err, paymentId }, "could not create a Checkout Session");
    throw new ApiError("service_unavailable", "Stripe could not be reached to start the payment. Please try again.");
  }
  await getPool().query(
    `UPDATE "Payment" SET "stripeSessionId" = $2, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE id = $1`,
    [paymentId, session.id],
  );
  if (!session.url) throw new ApiError("service_unavailable", "Stripe did not return a checkout page.");
  return { id: session.id, url: session.url };
}

/** A Checkout Session in setup mode: the owner saves a card for auto top-up. */
export async function createCardSetupCheckout(actor: OrgActor): Promise<{ url: string }> {
  await requireRole(actor, "OWNER");
  if (!isTopUpConfigured()) throw notConfigured();
  const customer = await ensureStripeCustomer(actor.organizationId);
  const metadata = { organization_id: actor.organizationId, purpose: "save_card" };
  const base = siteBaseUrl();
  try {
    const session = await stripeClient().checkout.sessions.create({
      mode: "setup",
      currency: TOP_UP_CURRENCY,
      customer,
      client_reference_id: actor.organizationId,
      metadata,
      setup_intent_data: { metadata },
      success_url: `${base}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${base}/billing?checkout=cancelled`,
    });
    if (!session.url) throw new Error("no url");
    return { url: session.url };
  } catch (err) {
    log.error({ err }, "could not create a setup Checkout Session");
    throw new ApiError("service_unavailable", "Stripe could not be reached to save a card. Please try again.");
  }
}

/** The organization's Stripe customer, created once (the idempotency key makes racing calls agree). */
async function ensureStripeCustomer(organizationId: string): Promise<string> {
  const pool = getPool();
  const { rows } = await pool.query<{ stripeCustomerId: string | null }>(
    `SELECT "stripeCustomerId" FROM "Organization" WHERE id = $1`,
    [organizationId],
  );
  if (!rows[0]) throw new ApiError("not_found", "Organization not found.");
  if (rows[0].stripeCustomerId) return rows[0].stripeCustomerId;
  let customerId: string;
  try {
    const customer = await stripeClient().customers.create(
      // Only what cannot differ between racing calls: Stripe refuses a reused key with other parameters.
      { metadata: { organization_id: organizationId } },
      { idempotencyKey: `tokenflow-customer-${organizationId}` },
    );
    customerId = customer.id;
  } catch (err) {
    log.error({ err }, "could not create a customer");
    throw new ApiError("service_unavailable", "Stripe could not be reached to start the payment. Please try again.");
  }
  await pool.query(`UPDATE "Organization" SET "stripeCustomerId" = $2 WHERE id = $1 AND "stripeCustomerId" IS NULL`, [
    organizationId,
    customerId,
  ]);
  const { rows: after } = await pool.query<{ stripeCustomerId: string }>(
    `SELECT "stripeCustomerId" FROM "Organization" WHERE id = $1`,
    [organizationId],
  );
  return after[0].stripeCustomerId;
}
