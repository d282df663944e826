-- Stripe top-ups (issue 10): payments of both kinds (Checkout, off-session auto top-up), the
-- Stripe events we processed, auto top-up settings and a saved card per organization, and the
-- ledger kinds of disputes. Refunds and disputes may take a balance below zero; nothing else may.

-- AlterEnum
ALTER TYPE "LedgerKind" ADD VALUE 'DISPUTE';
ALTER TYPE "LedgerKind" ADD VALUE 'DISPUTE_REVERSAL';

-- AlterEnum
ALTER TYPE "NotificationKind" ADD VALUE 'AUTO_TOP_UP_FAILED';

-- AlterEnum
ALTER TYPE "PaymentStatus" ADD VALUE 'EXPIRED';
ALTER TYPE "PaymentStatus" ADD VALUE 'NEEDS_REVIEW';

-- CreateEnum
CREATE TYPE "PaymentKind" AS ENUM ('CHECKOUT', 'AUTO_TOP_UP');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN "autoTopUpEnabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "autoTopUpThresholdNanos" BIGINT,
ADD COLUMN "autoTopUpAmountNanos" BIGINT,
ADD COLUMN "autoTopUpMaxPerDay" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN "stripePaymentMethodId" TEXT,
ADD COLUMN "paymentMethodLabel" TEXT,
ADD COLUMN "billingReviewAt" TIMESTAMP(3),
ADD COLUMN "billingReviewReason" TEXT;

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN "kind" "PaymentKind" NOT NULL DEFAULT 'CHECKOUT',
ADD COLUMN "stripeChargeId" TEXT,
ADD COLUMN "receiptUrl" TEXT,
ADD COLUMN "refundedNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "disputedNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "failureReason" TEXT,
ADD COLUMN "reviewReason" TEXT,
ADD COLUMN "createdById" TEXT,
ADD COLUMN "creditedAt" TIMESTAMP(3),
ALTER COLUMN "stripeSessionId" DROP NOT NULL;

-- CreateTable
CREATE TABLE "StripeEvent" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "objectId" TEXT,
    "result" TEXT NOT NULL,
    "stripeCreatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StripeEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StripeEvent_createdAt_idx" ON "StripeEvent"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Payment_stripeChargeId_key" ON "Payment"("stripeChargeId");

-- CreateIndex
CREATE INDEX "Payment_status_createdAt_idx" ON "Payment"("status", "createdAt");

-- Never two auto top-ups in flight for one organization: the claim is an INSERT that this index
-- refuses while another one is PENDING (lib/billing/stripe/auto-top-up.ts).
CREATE UNIQUE INDEX "Payment_one_pending_auto_top_up" ON "Payment"("organizationId") WHERE "kind" = 'AUTO_TOP_UP' AND "status" = 'PENDING';

ALTER TABLE "Payment" ADD CONSTRAINT "Payment_refundedNanos_range" CHECK ("refundedNanos" >= 0 AND "refundedNanos" <= "amountNanos");
ALTER TABLE "Payment" ADD CONSTRAINT "Payment_disputedNanos_range" CHECK ("disputedNanos" >= 0 AND "disputedNanos" <= "amountNanos");
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_autoTopUp_positive" CHECK (
  ("autoTopUpThresholdNanos" IS NULL OR "autoTopUpThresholdNanos" >= 0)
  AND ("autoTopUpAmountNanos" IS NULL OR "autoTopUpAmountNanos" > 0)
  AND "autoTopUpMaxPerDay" BETWEEN 1 AND 20);

-- tf_credit: a debit of kind REFUND or DISPUTE lands even when it takes the balance below zero
-- (the money already left through Stripe; the organization's requests get 402 until it is topped
-- up). Every other debit (an admin's adjustment) still stops at zero (TF002), and a credit always
-- lands, also one that leaves a negative balance still below zero.
CREATE OR REPLACE FUNCTION tf_credit(p_org TEXT, p_amount BIGINT, p_kind "LedgerKind", p_reference TEXT, p_note TEXT, p_actor TEXT)
RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  v_balance BIGINT;
  v_held BIGINT;
BEGIN
  SELECT "balanceNanos", "heldNanos" INTO v_balance, v_held FROM "Organization" WHERE id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization not found' USING ERRCODE = 'TF003';
  END IF;
  INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "note", "actorUserId", "createdAt")
  VALUES (gen_random_uuid()::TEXT, p_org, p_kind, p_amount, p_reference, p_note, p_actor, (now() AT TIME ZONE 'UTC'))
  ON CONFLICT ("kind", "reference") DO NOTHING;
  IF NOT FOUND THEN
    RETURN v_balance; -- replay of an applied credit
  END IF;
  IF p_amount < 0 AND p_kind::TEXT NOT IN ('REFUND', 'DISPUTE') AND v_balance::NUMERIC + p_amount < 0 THEN
    RAISE EXCEPTION 'balance would go below zero' USING ERRCODE = 'TF002';
  END IF;
  IF p_amount > 0 AND v_balance::NUMERIC + v_held + p_amount > 1000000000000000000 THEN
    RAISE EXCEPTION 'balance would exceed its maximum' USING ERRCODE = 'TF004';
  END IF;
  UPDATE "Organization" SET "balanceNanos" = "balanceNanos" + p_amount WHERE id = p_org
  RETURNING "balanceNanos" INTO v_balance;
  RETURN v_balance;
END
$$;

-- tf_admit answers 'ok_top_up' instead of 'ok' when the admission left the balance below the
-- organization's auto top-up threshold: the gateway then asks for one off-session payment (the
-- claim itself, one in flight and a daily cap, is decided in the database, not here).
CREATE OR REPLACE FUNCTION tf_admit(p_request_id TEXT, p_org TEXT, p_key TEXT, p_amount BIGINT) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
  v_now TIMESTAMP(3) := (now() AT TIME ZONE 'UTC');
  v_month TIMESTAMP(3) := date_trunc('month', (now() AT TIME ZONE 'UTC'))::TIMESTAMP(3);
  v_member TEXT;
  v_member_hold TEXT;
  v_top_up BOOLEAN;
BEGIN
  UPDATE "Organization"
     SET "balanceNanos" = "balanceNanos" - p_amount, "heldNanos" = "heldNanos" + p_amount
   WHERE id = p_org AND "balanceNanos" >= p_amount
  RETURNING "autoTopUpEnabled" AND "balanceNanos" < "autoTopUpThresholdNanos" INTO v_top_up;
  IF NOT FOUND THEN
    RETURN 'insufficient_quota';
  END IF;
  IF p_key IS NOT NULL THEN
    UPDATE "ApiKey" k
       SET "heldNanos" = k."heldNanos" + p_amount,
           "periodSpentNanos" = CASE WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now)
                                     THEN 0 ELSE k."periodSpentNanos" END,
           "periodStartsAt" = tf_period_start(k."spendLimitPeriod", v_now)
     WHERE k.id = p_key
       AND (k."spendLimitNanos" IS NULL
            OR (CASE WHEN k."spendLimitPeriod" = 'TOTAL' THEN k."spentNanos"
                     WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now) THEN 0
                     ELSE k."periodSpentNanos" END) + k."heldNanos" + p_amount <= k."spendLimitNanos")
    RETURNING k."createdById" INTO v_member;
    IF NOT FOUND THEN
      -- Undo the organization update with the statement: nothing is held.
      RAISE EXCEPTION 'api key spend limit reached' USING ERRCODE = 'TF001';
    END IF;
    IF v_member IS NOT NULL THEN
      UPDATE "Membership" m
         SET "monthHeldNanos" = m."monthHeldNanos" + p_amount,
             "monthSpentNanos" = CASE WHEN m."monthStartsAt" IS DISTINCT FROM v_month THEN 0 ELSE m."monthSpentNanos" END,
             "monthStartsAt" = v_month
       WHERE m."organizationId" = p_org AND m."userId" = v_member AND m."monthlySpendLimitNanos" IS NOT NULL
         AND (CASE WHEN m."monthStartsAt" IS DISTINCT FROM v_month THEN 0 ELSE m."monthSpentNanos" END)
             + m."monthHeldNanos" + p_amount <= m."monthlySpendLimitNanos"
      RETURNING m."userId" INTO v_member_hold;
      IF NOT FOUND THEN
        PERFORM 1 FROM "Membership"
         WHERE "organizationId" = p_org AND "userId" = v_member AND "monthlySpendLimitNanos" IS NOT NULL;
        IF FOUND THEN
          RAISE EXCEPTION 'member monthly spend limit reached' USING ERRCODE = 'TF005';
        END IF;
      END IF;
    END IF;
  END IF;
  INSERT INTO "Hold" ("id", "organizationId", "apiKeyId", "memberUserId", "amountNanos", "state", "createdAt")
  VALUES (p_request_id, p_org, p_key, v_member_hold, p_amount, 'HELD', v_now);
  RETURN CASE WHEN v_top_up THEN 'ok_top_up' ELSE 'ok' END;
END
$$;

