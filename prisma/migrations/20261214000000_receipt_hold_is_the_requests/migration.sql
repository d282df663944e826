-- A receipt's hold is the request's own bound (issue 13: pre-admitted holds, lib/billing/hold-pool.ts).
--
-- A request of a busy key may take a hold the instance admitted ahead, as large as the largest the
-- key asked for lately. The charge and the release still follow the hold row (the money), but the
-- receipt's "holdNanos" and "overageNanos" now come from the bound the gateway computed for the
-- request itself (the settlement's log carries it; a log without one, or with 0, keeps the hold's),
-- no larger than the hold: an upstream billing
-- past the cap sent is flagged as an overage whatever hold paid for it. Otherwise unchanged: the
-- bodies are those of 20261207000000 (tf_settle) and 20261212000000 (tf_settle_many).

CREATE OR REPLACE FUNCTION tf_settle(p_request_id TEXT, p_cost BIGINT, p_log JSONB) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  v_bound BIGINT;
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
    -- The request's own bound (its log says it; 0 or none: the hold), never more than the hold that paid.
    v_bound := LEAST(COALESCE(NULLIF((p_log->>'holdNanos')::BIGINT, 0), v_amount), v_amount);
    INSERT INTO "RequestLog"
    SELECT * FROM jsonb_populate_record(NULL::"RequestLog",
      -- Receipts journaled before cache writes were billed lack the new fields: they count 0.
      jsonb_build_object('cacheWriteInputTokens', 0, 'cacheWriteInputPriceNanos', '0') || p_log || jsonb_build_object('id', p_request_id, 'costNanos', v_charge::TEXT, 'holdNanos', v_bound::TEXT,
                                  'overageNanos', GREATEST(v_charge - v_bound, 0)::TEXT))
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
  UPDATE "Hold" h SET state = 'SETTLED', "chargedNanos" = s_charges[array_position(s_ids, h.id)], "resolvedAt" = v_now
   WHERE h.id = ANY (s_ids);
  UPDATE "Organization"
     SET "heldNanos" = "heldNanos" - v_released, "balanceNanos" = "balanceNanos" + v_released - v_charged
   WHERE id = p_org;
  UPDATE "ApiKey" k
     SET "heldNanos" = k."heldNanos" - k_released[array_position(k_ids, k.id)],
         "spentNanos" = k."spentNanos" + k_charged[array_position(k_ids, k.id)],
         "periodSpentNanos" = CASE WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now)
                                   THEN k_charged[array_position(k_ids, k.id)]
                                   ELSE k."periodSpentNanos" + k_charged[array_position(k_ids, k.id)] END,
         "periodStartsAt" = tf_period_start(k."spendLimitPeriod", v_now)
   WHERE k.id = ANY (k_ids);
  UPDATE "Membership" m
     SET "monthHeldNanos" = GREATEST(m."monthHeldNanos" - m_released[array_position(m_ids, m."userId")], 0),
         "monthSpentNanos" = CASE WHEN m."monthStartsAt" IS DISTINCT FROM date_trunc('month', v_now)
                                  THEN m_charged[array_position(m_ids, m."userId")]
                                  ELSE m."monthSpentNanos" + m_charged[array_position(m_ids, m."userId")] END,
         "monthStartsAt" = date_trunc('month', v_now)
   WHERE m."organizationId" = p_org AND m."userId" = ANY (m_ids);
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
           jsonb_build_object('cacheWriteInputTokens', 0, 'cacheWriteInputPriceNanos', '0') || x.e->'log'
           || jsonb_build_object('id', x.id, 'costNanos', x.charge::TEXT, 'holdNanos', x.bound::TEXT,
                                 'overageNanos', GREATEST(x.charge - x.bound, 0)::TEXT) AS l
      FROM (SELECT u.id, u.charge, u.key, t.e,
                   -- The request's own bound (its log says it; 0 or none: the hold), never more than the hold that paid.
                   LEAST(COALESCE(NULLIF((t.e->'log'->>'holdNanos')::BIGINT, 0), u.amount), u.amount) AS bound
              FROM unnest(s_ns, s_ids, s_charges, s_amounts, s_keys) AS u(n, id, charge, amount, key)
              JOIN jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ON t.n = u.n
             WHERE jsonb_typeof(t.e->'log') = 'object') AS x
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

-- CREATE OR REPLACE resets the functions' settings: keep them from scanning (20261211000000, 20261213000000).
ALTER FUNCTION tf_settle(TEXT, BIGINT, JSONB) SET enable_seqscan = off;
ALTER FUNCTION tf_settle_many(TEXT, JSONB) SET enable_seqscan = off;
