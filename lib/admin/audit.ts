import { getPrisma } from "@/lib/db/client";
import type { AdminActor } from "./auth";

// Every management-API write leaves an AuditEvent. Data never holds secrets (channel keys, full API
// keys, redemption codes). Recorded after the write succeeded; a failure to record is logged rather
// than turned into an error, because the write itself is already committed and a 500 would invite
// the client to repeat it.

export interface AuditInput {
  action: string; // "<noun>.<verb>", e.g. "channel.update"
  targetType: string;
  targetId: string | null;
  data?: Record<string, string | number | boolean | null | string[]>;
}

export async function recordAudit(actor: AdminActor, event: AuditInput): Promise<void> {
  try {
    await getPrisma().auditEvent.create({
      data: {
        actorUserId: actor.userId,
        action: event.action,
        targetType: event.targetType,
        targetId: event.targetId,
        data: { ...event.data, via: actor.kind, ...(actor.kind === "api_key" ? { apiKeyId: actor.apiKeyId } : {}) },
      },
    });
  } catch (err) {
    console.error(`[audit] could not record ${event.action} on ${event.targetType} ${event.targetId ?? ""}:`, err);
  }
}
