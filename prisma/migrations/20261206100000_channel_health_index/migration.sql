-- The admin console's live channel health reads the last hour of receipts per channel
-- (lib/admin/channel-health.ts); without this index every channels page scanned the whole log.

-- CreateIndex
CREATE INDEX "RequestLog_channelId_createdAt_idx" ON "RequestLog"("channelId", "createdAt");
