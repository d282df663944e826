-- Prompt-cache writes (Anthropic's cache_creation_input_tokens) are billed at their own price per
-- model: "cacheWriteInputPriceNanos" (nano-USD per 1M tokens; null = the input price). Receipts and
-- the daily rollup count them apart from uncached and cached input.

ALTER TABLE "Model" ADD COLUMN "cacheWriteInputPriceNanos" BIGINT;
ALTER TABLE "Model" ADD CONSTRAINT "Model_cacheWriteInputPriceNanos_nonnegative" CHECK ("cacheWriteInputPriceNanos" >= 0);

ALTER TABLE "RequestLog" ADD COLUMN "cacheWriteInputTokens" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "RequestLog" ADD COLUMN "cacheWriteInputPriceNanos" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "UsageDaily" ADD COLUMN "cacheWriteInputTokens" BIGINT NOT NULL DEFAULT 0;

-- The seeded Claude Sonnet's cache prices (https://docs.anthropic.com/en/docs/about-claude/pricing):
-- reads $0.30, 5-minute writes $3.75 per 1M. Only where an admin has not set them.
UPDATE "Model" SET "cachedInputPriceNanos" = COALESCE("cachedInputPriceNanos", 300000000),
                   "cacheWriteInputPriceNanos" = 3750000000
 WHERE id = 'claude-sonnet' AND "cacheWriteInputPriceNanos" IS NULL;

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
      -- Receipts journaled before cache writes were billed lack the new fields: they count 0.
      jsonb_build_object('cacheWriteInputTokens', 0, 'cacheWriteInputPriceNanos', '0') || p_log || jsonb_build_object('id', p_request_id, 'costNanos', v_charge::TEXT, 'holdNanos', v_amount::TEXT,
                                  'overageNanos', GREATEST(v_charge - v_amount, 0)::TEXT))
    ON CONFLICT ("id") DO NOTHING;
    v_day := COALESCE(((p_log->>'createdAt')::TIMESTAMPTZ AT TIME ZONE 'UTC')::DATE, v_now::DATE);
    INSERT INTO "UsageDaily" AS u ("organizationId", "day", "apiKeyId", "model", "requests", "failedRequests",
                                   "inputTokens", "cachedInputTokens", "outputTokens", "costNanos",
                                   "cacheWriteInputTokens")
    VALUES (v_org, v_day, COALESCE(v_key, ''), COALESCE(p_log->>'modelRouted', p_log->>'modelRequested', ''), 1,
            CASE WHEN (p_log->>'status')::INT = 200 THEN 0 ELSE 1 END,
            COALESCE((p_log->>'inputTokens')::BIGINT, 0), COALESCE((p_log->>'cachedInputTokens')::BIGINT, 0),
            COALESCE((p_log->>'outputTokens')::BIGINT, 0), v_charge,
            COALESCE((p_log->>'cacheWriteInputTokens')::BIGINT, 0))
    ON CONFLICT ("organizationId", "day", "apiKeyId", "model") DO UPDATE
       SET "requests" = u."requests" + 1,
           "failedRequests" = u."failedRequests" + EXCLUDED."failedRequests",
           "inputTokens" = u."inputTokens" + EXCLUDED."inputTokens",
           "cachedInputTokens" = u."cachedInputTokens" + EXCLUDED."cachedInputTokens",
           "outputTokens" = u."outputTokens" + EXCLUDED."outputTokens",
           "costNanos" = u."costNanos" + EXCLUDED."costNanos",
           "cacheWriteInputTokens" = u."cacheWriteInputTokens" + EXCLUDED."cacheWriteInputTokens";
  END IF;
  RETURN v_charge;
END
$$;
