-- A settlement batch locks its holds by primary key alone (issue 13). tf_settle_many of
-- 20261208000000 also filtered on "organizationId" in the same WHERE; once an organization had many
-- holds the planner combined the primary key with the organization's index (a BitmapAnd), so every
-- batch read all of the organization's holds ever made. Throughput fell steadily under steady load
-- (measured in a 10-minute soak at one organization: 760 billed requests/s in the first minute,
-- 200/s in the tenth). Same function otherwise; its header comment is in 20261208000000.

-- p_items: [{"id": request id, "cost": nanos as text, "log": the receipt (as tf_settle's p_log) or null}, ...]
-- Returns one charge per item, in order: the nanos charged, or NULL when the item had no hold in this
-- organization or was settled already (a replay: settled exactly once, as tf_settle).
CREATE OR REPLACE FUNCTION tf_settle_many(p_org TEXT, p_items JSONB) RETURNS BIGINT[]
LANGUAGE plpgsql AS $$
DECLARE
  v_now TIMESTAMP(3) := (now() AT TIME ZONE 'UTC');
  v_results BIGINT[] := '{}';
  v_charged BIGINT := 0;
  v_released BIGINT := 0;
  v_funds BIGINT;
  v_threshold BIGINT;
  v_crossed_at BIGINT; -- the funds just after the charge that took them below the low-balance threshold
  -- The batch's holds as locked.
  h_ids TEXT[] := '{}';
  h_keys TEXT[] := '{}';
  h_members TEXT[] := '{}';
  h_amounts BIGINT[] := '{}';
  h_states "HoldState"[] := '{}';
  -- What this batch settles (position in p_items, hold, charge), per key and per member.
  s_ns BIGINT[] := '{}';
  s_ids TEXT[] := '{}';
  s_charges BIGINT[] := '{}';
  s_amounts BIGINT[] := '{}';
  s_keys TEXT[] := '{}';
  k_ids TEXT[] := '{}';
  k_released BIGINT[] := '{}';
  k_charged BIGINT[] := '{}';
  m_ids TEXT[] := '{}';
  m_released BIGINT[] := '{}';
  m_charged BIGINT[] := '{}';
  r RECORD;
  i INT;
  j INT;
  v_charge BIGINT;
  v_release BIGINT;
BEGIN
  SELECT "balanceNanos" + "heldNanos", "lowBalanceThresholdNanos" INTO v_funds, v_threshold
    FROM "Organization" WHERE id = p_org FOR NO KEY UPDATE;
  -- By primary key only. With "organizationId" = p_org in this WHERE, the planner may AND the key
  -- lookup with the organization's index, which reads every hold the organization ever had: each batch
  -- got slower as its holds grew (measured: 117,354 index entries read to settle 14 holds). Another
  -- organization's hold (never sent by the gateway) is skipped below, as if not found.
  FOR r IN
    SELECT h.id, h."organizationId" AS org, h."apiKeyId" AS key, h."memberUserId" AS member,
           h."amountNanos" AS amount, h.state
      FROM "Hold" h
     WHERE h.id = ANY (ARRAY(SELECT e->>'id' FROM jsonb_array_elements(p_items) e))
     ORDER BY h.id FOR UPDATE
  LOOP
    CONTINUE WHEN r.org <> p_org;
    h_ids := h_ids || r.id;
    h_keys := h_keys || r.key;
    h_members := h_members || r.member;
    h_amounts := h_amounts || r.amount;
    h_states := h_states || r.state;
  END LOOP;

  FOR r IN
    SELECT n, e->>'id' AS id, GREATEST((e->>'cost')::BIGINT, 0) AS charge
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n
  LOOP
    i := array_position(h_ids, r.id);
    IF i IS NULL OR h_states[i] = 'SETTLED' THEN
      v_results := v_results || NULL::BIGINT;
      CONTINUE;
    END IF;
    v_charge := r.charge;
    v_release := CASE WHEN h_states[i] = 'HELD' THEN h_amounts[i] ELSE 0 END;
    h_states[i] := 'SETTLED'; -- the same id twice in one batch settles once
    v_charged := v_charged + v_charge;
    v_released := v_released + v_release;
    -- Once per crossing, as tf_settle: this charge took the funds from at or above the threshold to below it.
    IF v_charge > 0 AND v_funds >= v_threshold AND v_funds - v_charge < v_threshold THEN
      v_crossed_at := v_funds - v_charge;
    END IF;
    v_funds := v_funds - v_charge;
    s_ns := s_ns || r.n;
    s_ids := s_ids || r.id;
    s_charges := s_charges || v_charge;
    s_amounts := s_amounts || h_amounts[i];
    s_keys := s_keys || h_keys[i];
    IF h_keys[i] IS NOT NULL THEN
      j := array_position(k_ids, h_keys[i]);
      IF j IS NULL THEN
        k_ids := k_ids || h_keys[i];
        k_released := k_released || v_release;
        k_charged := k_charged || v_charge;
      ELSE
        k_released[j] := k_released[j] + v_release;
        k_charged[j] := k_charged[j] + v_charge;
      END IF;
    END IF;
    IF h_members[i] IS NOT NULL THEN
      j := array_position(m_ids, h_members[i]);
      IF j IS NULL THEN
        m_ids := m_ids || h_members[i];
        m_released := m_released || v_release;
        m_charged := m_charged || v_charge;
      ELSE
        m_released[j] := m_released[j] + v_release;
        m_charged[j] := m_charged[j] + v_charge;
      END IF;
    END IF;
    v_results := v_results || v_charge;
  END LOOP;

  IF cardinality(s_ids) = 0 THEN
    RETURN v_results;
  END IF;
  UPDATE "Hold" h SET state = 'SETTLED', "chargedNanos" = x.charge, "resolvedAt" = v_now
    FROM unnest(s_ids, s_charges) AS x(id, charge)
   WHERE h.id = x.id;
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_released, "balanceNanos" = "balanceNanos" + v_released - v_charged
   WHERE id = p_org;
  UPDATE "ApiKey" k
     SET "heldNanos" = k."heldNanos" - x.released,
         "spentNanos" = k."spentNanos" + x.charged,
         "periodSpentNanos" = CASE WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now)
                                   THEN x.charged ELSE k."periodSpentNanos" + x.charged END,
         "periodStartsAt" = tf_period_start(k."spendLimitPeriod", v_now)
    FROM unnest(k_ids, k_released, k_charged) AS x(id, released, charged)
   WHERE k.id = x.id;
  UPDATE "Membership" m
     SET "monthHeldNanos" = GREATEST(m."monthHeldNanos" - x.released, 0),
         "monthSpentNanos" = CASE WHEN m."monthStartsAt" IS DISTINCT FROM date_trunc('month', v_now)
                                  THEN x.charged ELSE m."monthSpentNanos" + x.charged END,
         "monthStartsAt" = date_trunc('month', v_now)
    FROM unnest(m_ids, m_released, m_charged) AS x(id, released, charged)
   WHERE m."organizationId" = p_org AND m."userId" = x.id;
  INSERT INTO "LedgerEntry" ("id", "organizationId", "kind", "amountNanos", "reference", "createdAt")
  SELECT gen_random_uuid()::TEXT, p_org, 'USAGE', -x.charge, x.id, v_now
    FROM unnest(s_ids, s_charges) WITH ORDINALITY AS x(id, charge, n)
   WHERE x.charge > 0 ORDER BY x.n;
  -- Funds only fall in a batch (charges are never negative): the threshold is crossed at most once.
  IF v_crossed_at IS NOT NULL THEN
    INSERT INTO "Notification" ("id", "kind", "organizationId", "data", "createdAt")
    VALUES (gen_random_uuid()::TEXT, 'LOW_BALANCE', p_org,
            jsonb_build_object('fundsNanos', v_crossed_at::TEXT, 'thresholdNanos', v_threshold::TEXT), v_now);
  END IF;
  -- The receipts (items that carry one) and their daily usage, one upsert per (day, key, model):
  -- ON CONFLICT may not touch a row twice in one statement.
  WITH logs AS (
    SELECT x.key,
           -- Receipts journaled before cache writes were billed lack the new fields: they count 0.
           jsonb_build_object('cacheWriteInputTokens', 0, 'cacheWriteInputPriceNanos', '0') || t.e->'log'
           || jsonb_build_object('id', x.id, 'costNanos', x.charge::TEXT, 'holdNanos', x.amount::TEXT,
                                 'overageNanos', GREATEST(x.charge - x.amount, 0)::TEXT) AS l
      FROM unnest(s_ns, s_ids, s_charges, s_amounts, s_keys) AS x(n, id, charge, amount, key)
      JOIN jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ON t.n = x.n
     WHERE jsonb_typeof(t.e->'log') = 'object'
  ), receipts AS (
    INSERT INTO "RequestLog"
    SELECT receipt.* FROM logs, LATERAL jsonb_populate_record(NULL::"RequestLog", logs.l) AS receipt
    ON CONFLICT ("id") DO NOTHING
  )
  INSERT INTO "UsageDaily" AS u ("organizationId", "day", "apiKeyId", "model", "requests", "failedRequests",
                                 "inputTokens", "cachedInputTokens", "outputTokens", "costNanos",
                                 "cacheWriteInputTokens")
  SELECT p_org, day, key, model, count(*), sum(failed), sum(input), sum(cached), sum(output), sum(cost),
         sum(cache_write)
    FROM (SELECT COALESCE(((l->>'createdAt')::TIMESTAMPTZ AT TIME ZONE 'UTC')::DATE, v_now::DATE) AS day,
                 COALESCE(key, '') AS key,
                 COALESCE(l->>'modelRouted', l->>'modelRequested', '') AS model,
                 CASE WHEN (l->>'status')::INT = 200 THEN 0 ELSE 1 END AS failed,
                 COALESCE((l->>'inputTokens')::BIGINT, 0) AS input,
                 COALESCE((l->>'cachedInputTokens')::BIGINT, 0) AS cached,
                 COALESCE((l->>'outputTokens')::BIGINT, 0) AS output,
                 (l->>'costNanos')::BIGINT AS cost,
                 COALESCE((l->>'cacheWriteInputTokens')::BIGINT, 0) AS cache_write
            FROM logs) AS rows
   GROUP BY day, key, model
  ON CONFLICT ("organizationId", "day", "apiKeyId", "model") DO UPDATE
     SET "requests" = u."requests" + EXCLUDED."requests",
         "failedRequests" = u."failedRequests" + EXCLUDED."failedRequests",
         "inputTokens" = u."inputTokens" + EXCLUDED."inputTokens",
         "cachedInputTokens" = u."cachedInputTokens" + EXCLUDED."cachedInputTokens",
         "outputTokens" = u."outputTokens" + EXCLUDED."outputTokens",
         "costNanos" = u."costNanos" + EXCLUDED."costNanos",
         "cacheWriteInputTokens" = u."cacheWriteInputTokens" + EXCLUDED."cacheWriteInputTokens";
  RETURN v_results;
END
$$;
