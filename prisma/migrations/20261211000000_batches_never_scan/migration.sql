-- The batched billing functions find every row they touch by key; they never scan a table (issue 13).
--
-- PL/pgSQL caches a generic plan for each statement after its fifth call, costed on the statistics of
-- that moment. On a young database (a new deployment, a benchmark's fresh database) the plan cached
-- while "Hold" held a few dozen rows read it sequentially: tf_settle_many's lock of the batch's holds
-- and its UPDATE of them each scanned the whole table, for every batch, until an autovacuum ANALYZE
-- invalidated the plan. Settlement grew quadratic in the table's size (measured: 8,000 holds, 2 full
-- scans per batch of 20; in a 15-second gateway benchmark, 1,187 scans reading 3.5 million rows for
-- 20,850 requests). With sequential scans off inside these functions the planner takes the primary
-- key and unique indexes whatever the statistics say; where a table has no usable index it still
-- scans (the setting only prices scans out). tf_bill_many calls both, so it inherits the setting.
ALTER FUNCTION tf_settle_many(TEXT, JSONB) SET enable_seqscan = off;
ALTER FUNCTION tf_admit_many(TEXT, JSONB) SET enable_seqscan = off;
