-- The one-at-a-time billing functions find their rows by key too; they never scan a table (issue 13).
--
-- Migration 20261211000000 turned sequential scans off inside the batched functions only. A lone
-- request takes the single functions (the coalescer sends a batch of one as tf_admit / tf_settle),
-- and they had the same fault: the generic plans PL/pgSQL cached while "Hold" was nearly empty read
-- it sequentially, for every admission and settlement, until the next ANALYZE. Measured in the
-- benchmark's one-connection run (1,122 requests on a fresh database): 1,524 "Hold" rows and 12
-- "Organization" rows read by sequential scans per request, and 1.4 ms of Postgres CPU per request.
-- tf_release (the sweeper and the journal) and tf_credit (top-ups) get the same setting.
ALTER FUNCTION tf_admit(TEXT, TEXT, TEXT, BIGINT) SET enable_seqscan = off;
ALTER FUNCTION tf_settle(TEXT, BIGINT, JSONB) SET enable_seqscan = off;
ALTER FUNCTION tf_release(TEXT) SET enable_seqscan = off;
ALTER FUNCTION tf_credit(TEXT, BIGINT, "LedgerKind", TEXT, TEXT, TEXT) SET enable_seqscan = off;
