-- Hardening (issue 7): the output-cap field each upstream honours, per-model image token bounds and
-- extra forwarded fields, overage receipts, aggregated receipts of refused requests, and a
-- settlement that always lands: it charges the full actual cost (even above the hold) and also
-- settles a hold the sweeper already released (a late settlement is charged, never free).

-- CreateEnum
CREATE TYPE "OutputCapField" AS ENUM ('max_tokens', 'max_completion_tokens');

-- AlterTable
ALTER TABLE "Model" ADD COLUMN "outputCapField" "OutputCapField",
ADD COLUMN "maxImageTokens" INTEGER NOT NULL DEFAULT 2000,
ADD COLUMN "extraRequestFields" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "Channel" ADD COLUMN "outputCapField" "OutputCapField" NOT NULL DEFAULT 'max_tokens';

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN "overageNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "requestCount" INTEGER NOT NULL DEFAULT 1;

-- A balance may go below zero, by an overage only (DESIGN §3): admission still never takes it there.
ALTER TABLE "Organization" DROP CONSTRAINT "Organization_balanceNanos_nonnegative";
ALTER TABLE "Hold" DROP CONSTRAINT "Hold_chargedNanos_range";
ALTER TABLE "Hold" ADD CONSTRAINT "Hold_chargedNanos_nonnegative" CHECK ("chargedNanos" IS NULL OR "chargedNanos" >= 0);
ALTER TABLE "RequestLog" ADD CONSTRAINT "RequestLog_overageNanos_nonnegative" CHECK ("overageNanos" >= 0);

-- The OpenAI preset's channels honour max_completion_tokens (o-series models refuse max_tokens).
UPDATE "Channel" SET "outputCapField" = 'max_completion_tokens' WHERE "baseUrl" LIKE 'https://api.openai.com/%';

-- Settlement, exactly once per request: charge the actual cost, release the rest of the hold, append
-- the usage ledger entry and write the receipt. A cost above the hold is charged in full (the
-- balance may go below zero by that overage only) and recorded on the receipt. A hold released by
-- the sweeper before a delayed settlement arrived is settled all the same: the cost is taken from
-- the balance it was returned to. Returns the charged nanos, or NULL when already settled.
CREATE OR REPLACE FUNCTION tf_settle(p_request_id TEXT, p_cost BIGINT, p_log JSONB) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  v_org TEXT;
  v_key TEXT;
  v_amount BIGINT;
  v_state "HoldState";
  v_charge BIGINT;
  v_released BIGINT;
BEGIN
  SELECT "organizationId" INTO v_org FROM "Hold" WHERE id = p_request_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- Lock the organization before the hold row, in admission's and release's order, so none of them
  -- deadlock; with both locked the hold's state cannot change under us (a release racing this
  -- settlement either ran before, and the cost is then taken from the balance, or waits).
  PERFORM 1 FROM "Organization" WHERE id = v_org FOR UPDATE;
  SELECT "apiKeyId", "amountNanos", state INTO v_key, v_amount, v_state
    FROM "Hold" WHERE id = p_request_id FOR UPDATE;
  IF v_state = 'SETTLED' THEN
    RETURN NULL; -- a replay: settled exactly once already
  END IF;
  v_charge := GREATEST(p_cost, 0);
  UPDATE "Hold" SET state = 'SETTLED', "chargedNanos" = v_charge, "resolvedAt" = (now() AT TIME ZONE 'UTC')
   WHERE id = p_request_id;
  -- What still sits in "held" for this request: all of it while HELD, nothing once released.
  v_released := CASE WHEN v_state = 'HELD' THEN v_amount ELSE 0 END;
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_released, "balanceNanos" = "balanceNanos" + v_released - v_charge
   WHERE id = v_org;
  IF v_key IS NOT NULL THEN
    UPDATE "ApiKey" SET "heldNanos" = "heldNanos" - v_released, "spentNanos" = "spentNanos" + v_charge
     WHERE id = v_key;
  END IF;
  IF v_charge > 0 THEN
    INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "createdAt")
    VALUES (gen_random_uuid()::TEXT, v_org, 'USAGE', -v_charge, p_request_id, (now() AT TIME ZONE 'UTC'));
  END IF;
  IF p_log IS NOT NULL THEN
    INSERT INTO "RequestLog"
    SELECT * FROM jsonb_populate_record(NULL::"RequestLog",
      p_log || jsonb_build_object('id', p_request_id, 'costNanos', v_charge::TEXT, 'holdNanos', v_amount::TEXT,
                                  'overageNanos', GREATEST(v_charge - v_amount, 0)::TEXT))
    ON CONFLICT ("id") DO NOTHING;
  END IF;
  RETURN v_charge;
END
$$;
