-- The admin console (issue 11): the audit log keeps before/after and the actor's address for every
-- admin write, searchable by action, actor and target; redemption codes can be revoked unused.

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "after" JSONB,
ADD COLUMN "before" JSONB,
ADD COLUMN "ip" TEXT;

-- AlterTable
ALTER TABLE "RedemptionCode" ADD COLUMN "revokedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "AuditEvent_action_createdAt_idx" ON "AuditEvent"("action", "createdAt");

-- CreateIndex
CREATE INDEX "AuditEvent_actorUserId_createdAt_idx" ON "AuditEvent"("actorUserId", "createdAt");

-- CreateIndex
CREATE INDEX "AuditEvent_targetType_targetId_createdAt_idx" ON "AuditEvent"("targetType", "targetId", "createdAt");
