-- An organization's settlements and admissions in one statement and one commit (issue 13).
-- The gateway kept two batches per organization in flight, one of admissions and one of settlements;
-- both lock the organization's row first, so they took turns on it anyway, and each paid its own
-- commit. An admission that arrived while a settlement batch held the row waited for that batch's
-- commit and then paid its own. The gateway now sends what queued for an organization as one batch:
-- the settlements first (so the admissions see the holds they release), then the admissions.
--
-- The outcome equals tf_settle_many then tf_admit_many, each with its own items in order, which is
-- what this does, in one transaction. Locks: both lock the organization first, so the order
-- everywhere stays organization, then holds, keys and memberships.

-- p_settle: tf_settle_many's items; p_admit: tf_admit_many's items. Either may be empty.
CREATE OR REPLACE FUNCTION tf_bill_many(p_org TEXT, p_settle JSONB, p_admit JSONB,
                                        OUT charges BIGINT[], OUT admissions TEXT[])
LANGUAGE plpgsql AS $$
BEGIN
  charges := CASE WHEN jsonb_array_length(p_settle) > 0 THEN tf_settle_many(p_org, p_settle) ELSE '{}' END;
  admissions := CASE WHEN jsonb_array_length(p_admit) > 0 THEN tf_admit_many(p_org, p_admit) ELSE '{}' END;
END
$$;
