-- A ceiling on what an organization may hold, so no sum the billing functions form can overflow
-- BIGINT (a "bigint out of range" error would otherwise reach whoever credited it as a 500).
-- balance + held only grows through tf_credit (admission moves funds, settlement charges them), so
-- refusing a credit that would take balance + held above $1,000,000,000 (1e18 nano-USD, a ninth of
-- BIGINT) bounds it for good. The sum is taken in NUMERIC: the check itself must not overflow.
-- Same number as MAX_BALANCE_NANOS in lib/billing/credits.ts. Raises TF004.
-- Only a debit is refused for taking the balance below zero (TF002): a credit always lands, also
-- one that leaves a balance an overage made negative still below zero (a partial top-up).
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
  IF p_amount < 0 AND v_balance::NUMERIC + p_amount < 0 THEN
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
