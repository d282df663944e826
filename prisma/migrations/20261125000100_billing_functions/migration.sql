-- Money moves in single atomic database steps (DESIGN.md §3). The app calls these functions;
-- Timestamps are TIMESTAMP(3) holding UTC wall-clock time (as Prisma writes them), hence now() AT TIME ZONE 'UTC'.
-- it never reads a balance, decides, and writes it back.
-- Invariant kept by every function: balanceNanos + heldNanos = SUM(LedgerEntry.amountNanos) per organization.

-- Admission: move a hold from balance to held, or refuse. Returns 'ok' or 'insufficient_quota'.
-- Lock order everywhere: Organization row, then ApiKey row, then Hold row.
CREATE FUNCTION tf_admit(p_request_id TEXT, p_org TEXT, p_key TEXT, p_amount BIGINT) RETURNS TEXT
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Organization"
     SET "balanceNanos" = "balanceNanos" - p_amount, "heldNanos" = "heldNanos" + p_amount
   WHERE id = p_org AND "balanceNanos" >= p_amount;
  IF NOT FOUND THEN
    RETURN 'insufficient_quota';
  END IF;
  IF p_key IS NOT NULL THEN
    UPDATE "ApiKey"
       SET "heldNanos" = "heldNanos" + p_amount
     WHERE id = p_key
       AND ("spendLimitNanos" IS NULL OR "spentNanos" + "heldNanos" + p_amount <= "spendLimitNanos");
    IF NOT FOUND THEN
      -- Undo the organization update with the statement: nothing is held.
      RAISE EXCEPTION 'api key spend limit reached' USING ERRCODE = 'TF001';
    END IF;
  END IF;
  INSERT INTO "Hold" ("id", "organizationId", "apiKeyId", "amountNanos", "state", "createdAt")
  VALUES (p_request_id, p_org, p_key, p_amount, 'HELD', (now() AT TIME ZONE 'UTC'));
  RETURN 'ok';
END
$$;

-- Settlement, exactly once per request: charge min(cost, hold), release the rest, append the usage
-- ledger entry and write the receipt. Returns the charged nanos, or NULL when the hold was already
-- settled or released (a replay changes nothing).
CREATE FUNCTION tf_settle(p_request_id TEXT, p_cost BIGINT, p_log JSONB) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  v_org TEXT;
  v_key TEXT;
  v_amount BIGINT;
  v_charge BIGINT;
BEGIN
  SELECT "organizationId", "apiKeyId", "amountNanos" INTO v_org, v_key, v_amount
    FROM "Hold" WHERE id = p_request_id AND state = 'HELD';
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- Lock the organization before the hold row, in admission's order, so the two never deadlock.
  PERFORM 1 FROM "Organization" WHERE id = v_org FOR UPDATE;
  v_charge := LEAST(GREATEST(p_cost, 0), v_amount);
  UPDATE "Hold" SET state = 'SETTLED', "chargedNanos" = v_charge, "resolvedAt" = (now() AT TIME ZONE 'UTC')
   WHERE id = p_request_id AND state = 'HELD';
  IF NOT FOUND THEN
    RETURN NULL; -- a concurrent settlement or the sweeper won
  END IF;
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_amount, "balanceNanos" = "balanceNanos" + v_amount - v_charge
   WHERE id = v_org;
  IF v_key IS NOT NULL THEN
    UPDATE "ApiKey" SET "heldNanos" = "heldNanos" - v_amount, "spentNanos" = "spentNanos" + v_charge
     WHERE id = v_key;
  END IF;
  IF v_charge > 0 THEN
    INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "createdAt")
    VALUES (gen_random_uuid()::TEXT, v_org, 'USAGE', -v_charge, p_request_id, (now() AT TIME ZONE 'UTC'));
  END IF;
  IF p_log IS NOT NULL THEN
    INSERT INTO "RequestLog"
    SELECT * FROM jsonb_populate_record(NULL::"RequestLog",
      p_log || jsonb_build_object('id', p_request_id, 'costNanos', v_charge::TEXT, 'holdNanos', v_amount::TEXT))
    ON CONFLICT ("id") DO NOTHING;
  END IF;
  RETURN v_charge;
END
$$;

-- Release a hold without charging (orphaned by a crash). Returns TRUE when this call released it.
CREATE FUNCTION tf_release(p_request_id TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  v_org TEXT;
  v_key TEXT;
  v_amount BIGINT;
BEGIN
  SELECT "organizationId", "apiKeyId", "amountNanos" INTO v_org, v_key, v_amount
    FROM "Hold" WHERE id = p_request_id AND state = 'HELD';
  IF NOT FOUND THEN
    RETURN FALSE;
  END IF;
  PERFORM 1 FROM "Organization" WHERE id = v_org FOR UPDATE;
  UPDATE "Hold" SET state = 'RELEASED', "chargedNanos" = 0, "resolvedAt" = (now() AT TIME ZONE 'UTC')
   WHERE id = p_request_id AND state = 'HELD';
  IF NOT FOUND THEN
    RETURN FALSE;
  END IF;
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_amount, "balanceNanos" = "balanceNanos" + v_amount
   WHERE id = v_org;
  IF v_key IS NOT NULL THEN
    UPDATE "ApiKey" SET "heldNanos" = "heldNanos" - v_amount WHERE id = v_key;
  END IF;
  RETURN TRUE;
END
$$;

-- Credits (top-up, adjustment, redemption, refund): one ledger entry and the balance change together,
-- idempotent by (kind, reference). A debit that would take the balance below zero raises TF002.
-- Returns the balance after the change (or the current balance when the reference was already used).
CREATE FUNCTION tf_credit(p_org TEXT, p_amount BIGINT, p_kind "LedgerKind", p_reference TEXT, p_note TEXT, p_actor TEXT)
RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  v_balance BIGINT;
BEGIN
  SELECT "balanceNanos" INTO v_balance FROM "Organization" WHERE id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization not found' USING ERRCODE = 'TF003';
  END IF;
  INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "note", "actorUserId", "createdAt")
  VALUES (gen_random_uuid()::TEXT, p_org, p_kind, p_amount, p_reference, p_note, p_actor, (now() AT TIME ZONE 'UTC'))
  ON CONFLICT ("kind", "reference") DO NOTHING;
  IF NOT FOUND THEN
    RETURN v_balance; -- replay of an applied credit
  END IF;
  IF v_balance + p_amount < 0 THEN
    RAISE EXCEPTION 'balance would go below zero' USING ERRCODE = 'TF002';
  END IF;
  UPDATE "Organization" SET "balanceNanos" = "balanceNanos" + p_amount WHERE id = p_org
  RETURNING "balanceNanos" INTO v_balance;
  RETURN v_balance;
END
$$;
