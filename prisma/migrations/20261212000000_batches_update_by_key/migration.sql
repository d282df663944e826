-- The batched billing functions update a batch's rows by key, never through a join (issue 13).
--
-- With sequential scans off (20261211000000_batches_never_scan), a generic plan PL/pgSQL cached while
-- "Hold" held a handful of rows still read all of it: tf_settle_many's
-- `UPDATE "Hold" ... FROM unnest(s_ids, s_charges) AS x(id, charge) WHERE h.id = x.id` joined the batch
-- with a full scan of the primary-key index (a hash join; with hash joins off, a nested loop over the
-- materialized index scan). Every settlement batch read every hold ever made, until the next ANALYZE
-- (measured with pg_stat_statements and auto_explain in a 15-second gateway benchmark: ~4,700 buffers and
-- ~3.9 ms per call; 330-540 rows of "Hold" read per request; Postgres CPU up to 0.67 ms per request). The
-- UPDATEs of "ApiKey" and "Membership" (every tenant's rows) had the same shape.
--
-- Each UPDATE now names its rows with `= ANY (ids)`, an index condition on the primary or unique key,
-- and takes each row's value from the batch's arrays by position. Without a join there is no join order
-- to get wrong, whatever the statistics said when the plan was cached. The arrays hold at most one entry
-- per item of a batch (256), so the lookups cost microseconds. Otherwise the same functions as
-- 20261208000000 (tf_admit_many) and 20261209000000 (tf_settle_many); tf_bill_many calls both.

-- p_items: [{"id": request id, "key": api key id or null, "amount": nanos as text}, ...]
-- Returns one result per item, in order: ok | ok_top_up | insufficient_quota | key_spend_limit |
-- member_spend_limit (tf_admit's answers, with its two exceptions as values).
CREATE OR REPLACE FUNCTION tf_admit_many(p_org TEXT, p_items JSONB) RETURNS TEXT[]
LANGUAGE plpgsql AS $$
DECLARE
  v_now TIMESTAMP(3) := (now() AT TIME ZONE 'UTC');
  v_month TIMESTAMP(3) := date_trunc('month', (now() AT TIME ZONE 'UTC'))::TIMESTAMP(3);
  v_balance BIGINT;
  v_auto BOOLEAN;
  v_threshold BIGINT;
  v_total BIGINT := 0;
  v_results TEXT[] := '{}';
  -- The batch's keys: room left under the spend limit (NULL: no limit), what this batch holds, owner.
  k_ids TEXT[] := '{}';
  k_room BIGINT[] := '{}';
  k_add BIGINT[] := '{}';
  k_member TEXT[] := '{}';
  -- Their owners' memberships that have a monthly cap: room left, what this batch holds.
  m_ids TEXT[] := '{}';
  m_room BIGINT[] := '{}';
  m_add BIGINT[] := '{}';
  -- The holds to insert.
  h_ids TEXT[] := '{}';
  h_keys TEXT[] := '{}';
  h_members TEXT[] := '{}';
  h_amounts BIGINT[] := '{}';
  r RECORD;
  i INT;
  j INT;
  v_member TEXT;
BEGIN
  SELECT "balanceNanos", "autoTopUpEnabled", "autoTopUpThresholdNanos" INTO v_balance, v_auto, v_threshold
    FROM "Organization" WHERE id = p_org FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN array_fill('insufficient_quota'::TEXT, ARRAY[jsonb_array_length(p_items)]);
  END IF;
  FOR r IN
    SELECT k.id, k."createdById" AS member,
           k."spendLimitNanos" - k."heldNanos"
             - CASE WHEN k."spendLimitPeriod" = 'TOTAL' THEN k."spentNanos"
                    WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now) THEN 0
                    ELSE k."periodSpentNanos" END AS room
      FROM "ApiKey" k
     WHERE k.id = ANY (ARRAY(SELECT DISTINCT e->>'key' FROM jsonb_array_elements(p_items) e))
     ORDER BY k.id FOR UPDATE
  LOOP
    k_ids := k_ids || r.id;
    k_room := k_room || r.room;
    k_add := k_add || 0::BIGINT;
    k_member := k_member || r.member;
  END LOOP;
  FOR r IN
    SELECT m."userId" AS id,
           m."monthlySpendLimitNanos" - m."monthHeldNanos"
             - CASE WHEN m."monthStartsAt" IS DISTINCT FROM v_month THEN 0 ELSE m."monthSpentNanos" END AS room
      FROM "Membership" m
     WHERE m."organizationId" = p_org AND m."userId" = ANY (k_member) AND m."monthlySpendLimitNanos" IS NOT NULL
     ORDER BY m.id FOR UPDATE
  LOOP
    m_ids := m_ids || r.id;
    m_room := m_room || r.room;
    m_add := m_add || 0::BIGINT;
  END LOOP;

  FOR r IN
    SELECT e->>'id' AS id, e->>'key' AS key, (e->>'amount')::BIGINT AS amount
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n
  LOOP
    IF v_balance < r.amount THEN
      v_results := v_results || 'insufficient_quota'::TEXT;
      CONTINUE;
    END IF;
    v_member := NULL;
    IF r.key IS NOT NULL THEN
      i := array_position(k_ids, r.key);
      IF i IS NULL OR k_room[i] < r.amount THEN -- a missing key is refused, as tf_admit does
        v_results := v_results || 'key_spend_limit'::TEXT;
        CONTINUE;
      END IF;
      j := array_position(m_ids, k_member[i]);
      IF j IS NOT NULL THEN
        IF m_room[j] < r.amount THEN
          v_results := v_results || 'member_spend_limit'::TEXT;
          CONTINUE;
        END IF;
        m_room[j] := m_room[j] - r.amount;
        m_add[j] := m_add[j] + r.amount;
        v_member := m_ids[j];
      END IF;
      k_room[i] := k_room[i] - r.amount; -- stays NULL without a limit
      k_add[i] := k_add[i] + r.amount;
    END IF;
    v_balance := v_balance - r.amount;
    v_total := v_total + r.amount;
    h_ids := h_ids || r.id;
    h_keys := h_keys || r.key;
    h_members := h_members || v_member;
    h_amounts := h_amounts || r.amount;
    v_results := v_results || CASE WHEN v_auto AND v_balance < v_threshold THEN 'ok_top_up' ELSE 'ok' END;
  END LOOP;

  IF cardinality(h_ids) = 0 THEN
    RETURN v_results;
  END IF;
  UPDATE "Organization"
     SET "balanceNanos" = "balanceNanos" - v_total, "heldNanos" = "heldNanos" + v_total
   WHERE id = p_org;
  UPDATE "ApiKey" k
     SET "heldNanos" = k."heldNanos" + k_add[array_position(k_ids, k.id)],
         "periodSpentNanos" = CASE WHEN k."periodStartsAt" IS DISTINCT FROM tf_period_start(k."spendLimitPeriod", v_now)
                                   THEN 0 ELSE k."periodSpentNanos" END,
         "periodStartsAt" = tf_period_start(k."spendLimitPeriod", v_now)
   WHERE k.id = ANY (k_ids) AND k_add[array_position(k_ids, k.id)] > 0;
  UPDATE "Membership" m
     SET "monthHeldNanos" = m."monthHeldNanos" + m_add[array_position(m_ids, m."userId")],
         "monthSpentNanos" = CASE WHEN m."monthStartsAt" IS DISTINCT FROM v_month THEN 0 ELSE m."monthSpentNanos" END,
         "monthStartsAt" = v_month
   WHERE m."organizationId" = p_org AND m."userId" = ANY (m_ids) AND m_add[array_position(m_ids, m."userId")] > 0;
  INSERT INTO "Hold" ("id", "organizationId", "apiKeyId", "memberUserId", "amountNanos", "state", "createdAt")
  SELECT x.id, p_org, x.key, x.member, x.amount, 'HELD', v_now
    FROM unnest(h_ids, h_keys, h_members, h_amounts) AS x(id, key, member, amount);
  RETURN v_results;
END
$$;

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

-- CREATE OR REPLACE resets a function's settings: sequential scans stay off (20261211000000).
ALTER FUNCTION tf_settle_many(TEXT, JSONB) SET enable_seqscan = off;
ALTER FUNCTION tf_admit_many(TEXT, JSONB) SET enable_seqscan = off;
