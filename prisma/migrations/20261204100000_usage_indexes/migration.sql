-- The request log and its CSV export page by keyset on (createdAt, id), newest first. With id in the
-- index the row comparison `("createdAt", id) < ($t, $id)` is an index condition and the order
-- needs no sort step (an incremental sort over equal timestamps before), so a page deep in millions
-- of receipts reads only its own rows. It replaces the (organizationId, createdAt) index, which it covers.

-- DropIndex
DROP INDEX "RequestLog_organizationId_createdAt_idx";

-- CreateIndex
CREATE INDEX "RequestLog_organizationId_createdAt_id_idx" ON "RequestLog"("organizationId", "createdAt", "id");
