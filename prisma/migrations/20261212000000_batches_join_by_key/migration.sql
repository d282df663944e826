-- The batched billing functions join a batch to its rows by key, never by reading a whole index (issue 13).
--
-- With sequential scans off (20261211000000_batches_never_scan) a generic plan cached while "Hold" held a
-- handful of rows still read all of it: tf_settle_many's UPDATE of the batch's holds
-- (`FROM unnest(s_ids, s_charges) ... WHERE h.id = x.id`) became a hash join of the batch with a full scan
-- of "Hold"'s primary-key index. Every settlement batch read every hold ever made until the next ANALYZE
-- (measured with pg_stat_statements in a 15-second gateway benchmark: ~4,700 buffers per call, 4.6 s of
-- Postgres time, 540 rows read per request, Postgres CPU up to 0.67 ms per request). The same shape
-- threatens the UPDATEs of "ApiKey" and "Membership", whose tables hold every tenant's rows.
--
-- With hash and merge joins off too, each such join is a nested loop probing the index once per batch
-- item, whatever the statistics said when the plan was cached. The joins that remain between the batch's
-- own arrays (a few hundred items at most) cost microseconds as nested loops. tf_bill_many calls both, so
-- it inherits the settings.
ALTER FUNCTION tf_settle_many(TEXT, JSONB) SET enable_hashjoin = off;
ALTER FUNCTION tf_settle_many(TEXT, JSONB) SET enable_mergejoin = off;
ALTER FUNCTION tf_admit_many(TEXT, JSONB) SET enable_hashjoin = off;
ALTER FUNCTION tf_admit_many(TEXT, JSONB) SET enable_mergejoin = off;
