-- The tenant product (issue 9): periodic key spend caps, monthly caps per member, the owner's
-- low-balance alert, daily usage rollups kept by settlement, and a notification outbox.

-- CreateEnum
CREATE TYPE "SpendPeriod" AS ENUM ('TOTAL', 'DAILY', 'WEEKLY', 'MONTHLY');

-- CreateEnum
CREATE TYPE "NotificationKind" AS ENUM ('LOW_BALANCE');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN "lowBalanceThresholdNanos" BIGINT,
ADD COLUMN "personal" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "deletedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN "monthlySpendLimitNanos" BIGINT,
ADD COLUMN "monthSpentNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "monthHeldNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "monthStartsAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Invitation" ADD COLUMN "invitedById" TEXT,
ADD COLUMN "revokedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "spendLimitPeriod" "SpendPeriod" NOT NULL DEFAULT 'TOTAL',
ADD COLUMN "periodSpentNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "periodStartsAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Hold" ADD COLUMN "memberUserId" TEXT;

-- CreateTable
CREATE TABLE "UsageDaily" (
    "organizationId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "apiKeyId" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "failedRequests" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "cachedInputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "costNanos" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageDaily_pkey" PRIMARY KEY ("organizationId","day","apiKeyId","model")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL,
    "kind" "NotificationKind" NOT NULL,
    "organizationId" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Notification_sentAt_createdAt_idx" ON "Notification"("sentAt", "createdAt");

ALTER TABLE "Membership" ADD CONSTRAINT "Membership_monthHeldNanos_nonnegative" CHECK ("monthHeldNanos" >= 0);
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_periodSpentNanos_nonnegative" CHECK ("periodSpentNanos" >= 0);

-- What settled before this migration, rolled up the way settlement now keeps it.
INSERT INTO "UsageDaily" ("organizationId", "day", "apiKeyId", "model", "requests", "failedRequests",
                          "inputTokens", "cachedInputTokens", "outputTokens", "costNanos")
SELECT r."organizationId", (r."createdAt")::DATE, COALESCE(r."apiKeyId", ''), COALESCE(r."modelRouted", r."modelRequested"),
       count(*), count(*) FILTER (WHERE r.status <> 200), sum(r."inputTokens"), sum(r."cachedInputTokens"),
       sum(r."outputTokens"), sum(r."costNanos")
  FROM "RequestLog" r JOIN "Hold" h ON h.id = r.id AND h.state = 'SETTLED'
 GROUP BY 1, 2, 3, 4;

-- The start of the period a spend cap counts in, at `p_now` (UTC wall time); NULL for TOTAL.
CREATE FUNCTION tf_period_start(p_period "SpendPeriod", p_now TIMESTAMP(3)) RETURNS TIMESTAMP(3)
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_period
    WHEN 'DAILY' THEN date_trunc('day', p_now)
    WHEN 'WEEKLY' THEN date_trunc('week', p_now) -- ISO weeks: Monday 00:00 UTC
    WHEN 'MONTHLY' THEN date_trunc('month', p_now)
    ELSE NULL
  END::TIMESTAMP(3)
$$;

-- Admission: move a hold from balance to held, or refuse, in one step. Besides the organization's
-- balance it checks the key's spend cap (total, or within its current period, which starts afresh
-- when a new one begins) and the monthly cap of the key's member when the organization set one;
-- each keeps the hold in its own "held" so concurrent requests can never pass a cap together.
-- Returns 'ok' or 'insufficient_quota'; raises TF001 (key cap) or TF005 (member cap).
-- Lock order everywhere: Organization, then ApiKey, then Membership, then Hold.
CREATE OR REPLACE FUNCTION tf_admit(p_request_id TEXT, p_org TEXT, p_key TEXT, p_amount BIGINT) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
  v_now TIMESTAMP(3) := (now() AT TIME ZONE 'UTC');
  v_month TIMESTAMP(3) := date_trunc('month', (now() AT TIME ZONE 'UTC'))::TIMESTAMP(3);
  v_member TEXT;
  v_member_hold TEXT;
BEGIN
  UPDATE "Organization"
     SET "balanceNanos" = "balanceNanos" - p_amount, "heldNanos" = "heldNanos" + p_amount
   WHERE id = p_org AND "balanceNanos" >= p_amount;
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
  RETURN 'ok';
END
$$;

-- Settlement, exactly once per request: charge the actual cost (in full, even above the hold),
-- release the rest of the hold from the organization, the key and the member, append the usage
-- ledger entry, write the receipt, add the request to the day's usage rollup, and note a
-- low-balance alert when this charge took the organization's funds below its owner's threshold.
-- A hold released by the sweeper before a delayed settlement arrived is settled all the same.
-- Returns the charged nanos, or NULL when already settled.
CREATE OR REPLACE FUNCTION tf_settle(p_request_id TEXT, p_cost BIGINT, p_log JSONB) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  v_now TIMESTAMP(3) := (now() AT TIME ZONE 'UTC');
  v_org TEXT;
  v_key TEXT;
  v_member TEXT;
  v_amount BIGINT;
  v_state "HoldState";
  v_charge BIGINT;
  v_released BIGINT;
  v_funds_after BIGINT;
  v_threshold BIGINT;
  v_day DATE;
BEGIN
  SELECT "organizationId" INTO v_org FROM "Hold" WHERE id = p_request_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- Lock the organization before the hold row, in admission's and release's order, so none of them
  -- deadlock; with both locked the hold's state cannot change under us.
  PERFORM 1 FROM "Organization" WHERE id = v_org FOR UPDATE;
  SELECT "apiKeyId", "memberUserId", "amountNanos", state INTO v_key, v_member, v_amount, v_state
    FROM "Hold" WHERE id = p_request_id FOR UPDATE;
  IF v_state = 'SETTLED' THEN
    RETURN NULL; -- a replay: settled exactly once already
  END IF;
  v_charge := GREATEST(p_cost, 0);
  UPDATE "Hold" SET state = 'SETTLED', "chargedNanos" = v_charge, "resolvedAt" = v_now WHERE id = p_request_id;
  -- What still sits in "held" for this request: all of it while HELD, nothing once released.
  v_released := CASE WHEN v_state = 'HELD' THEN v_amount ELSE 0 END;
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_released, "balanceNanos" = "balanceNanos" + v_released - v_charge
   WHERE id = v_org
  RETURNING "balanceNanos" + "heldNanos", "lowBalanceThresholdNanos" INTO v_funds_after, v_threshold;
  IF v_key IS NOT NULL THEN
    UPDATE "ApiKey" k
       SET "heldNanos" = k."heldNanos" - v_released,
           "spentNanos" = k."spentNanos" + v_charge,
           "periodSpentNanos" = CASE WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now)
                                     THEN v_charge ELSE k."periodSpentNanos" + v_charge END,
           "periodStartsAt" = tf_period_start(k."spendLimitPeriod", v_now)
     WHERE k.id = v_key;
  END IF;
  IF v_member IS NOT NULL THEN
    UPDATE "Membership" m
       SET "monthHeldNanos" = GREATEST(m."monthHeldNanos" - v_released, 0),
           "monthSpentNanos" = CASE WHEN m."monthStartsAt" IS DISTINCT FROM date_trunc('month', v_now)
                                    THEN v_charge ELSE m."monthSpentNanos" + v_charge END,
           "monthStartsAt" = date_trunc('month', v_now)
     WHERE m."organizationId" = v_org AND m."userId" = v_member;
  END IF;
  IF v_charge > 0 THEN
    INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "createdAt")
    VALUES (gen_random_uuid()::TEXT, v_org, 'USAGE', -v_charge, p_request_id, v_now);
    -- Once per crossing: the charge took the funds from at or above the threshold to below it.
    IF v_threshold IS NOT NULL AND v_funds_after < v_threshold AND v_funds_after + v_charge >= v_threshold THEN
      INSERT INTO "Notification" ("id", "kind", "organizationId", "data", "createdAt")
      VALUES (gen_random_uuid()::TEXT, 'LOW_BALANCE', v_org,
              jsonb_build_object('fundsNanos', v_funds_after::TEXT, 'thresholdNanos', v_threshold::TEXT), v_now);
    END IF;
  END IF;
  IF p_log IS NOT NULL THEN
    INSERT INTO "RequestLog"
    SELECT * FROM jsonb_populate_record(NULL::"RequestLog",
      p_log || jsonb_build_object('id', p_request_id, 'costNanos', v_charge::TEXT, 'holdNanos', v_amount::TEXT,
                                  'overageNanos', GREATEST(v_charge - v_amount, 0)::TEXT))
    ON CONFLICT ("id") DO NOTHING;
    v_day := COALESCE(((p_log->>'createdAt')::TIMESTAMPTZ AT TIME ZONE 'UTC')::DATE, v_now::DATE);
    INSERT INTO "UsageDaily" AS u ("organizationId", "day", "apiKeyId", "model", "requests", "failedRequests",
                                   "inputTokens", "cachedInputTokens", "outputTokens", "costNanos")
    VALUES (v_org, v_day, COALESCE(v_key, ''), COALESCE(p_log->>'modelRouted', p_log->>'modelRequested', ''), 1,
            CASE WHEN (p_log->>'status')::INT = 200 THEN 0 ELSE 1 END,
            COALESCE((p_log->>'inputTokens')::BIGINT, 0), COALESCE((p_log->>'cachedInputTokens')::BIGINT, 0),
            COALESCE((p_log->>'outputTokens')::BIGINT, 0), v_charge)
    ON CONFLICT ("organizationId", "day", "apiKeyId", "model") DO UPDATE
       SET "requests" = u."requests" + 1,
           "failedRequests" = u."failedRequests" + EXCLUDED."failedRequests",
           "inputTokens" = u."inputTokens" + EXCLUDED."inputTokens",
           "cachedInputTokens" = u."cachedInputTokens" + EXCLUDED."cachedInputTokens",
           "outputTokens" = u."outputTokens" + EXCLUDED."outputTokens",
           "costNanos" = u."costNanos" + EXCLUDED."costNanos";
  END IF;
  RETURN v_charge;
END
$$;

-- Release a hold without charging (orphaned by a crash, or admitted after its caller gave up).
-- Returns TRUE when this call released it.
CREATE OR REPLACE FUNCTION tf_release(p_request_id TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  v_org TEXT;
  v_key TEXT;
  v_member TEXT;
  v_amount BIGINT;
BEGIN
  SELECT "organizationId" INTO v_org FROM "Hold" WHERE id = p_request_id AND state = 'HELD';
  IF NOT FOUND THEN
    RETURN FALSE;
  END IF;
  PERFORM 1 FROM "Organization" WHERE id = v_org FOR UPDATE;
  UPDATE "Hold" SET state = 'RELEASED', "chargedNanos" = 0, "resolvedAt" = (now() AT TIME ZONE 'UTC')
   WHERE id = p_request_id AND state = 'HELD'
  RETURNING "apiKeyId", "memberUserId", "amountNanos" INTO v_key, v_member, v_amount;
  IF NOT FOUND THEN
    RETURN FALSE;
  END IF;
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_amount, "balanceNanos" = "balanceNanos" + v_amount
   WHERE id = v_org;
  IF v_key IS NOT NULL THEN
    UPDATE "ApiKey" SET "heldNanos" = "heldNanos" - v_amount WHERE id = v_key;
  END IF;
  IF v_member IS NOT NULL THEN
    UPDATE "Membership" SET "monthHeldNanos" = GREATEST("monthHeldNanos" - v_amount, 0)
     WHERE "organizationId" = v_org AND "userId" = v_member;
  END IF;
  RETURN TRUE;
END
$$;
