import type { Pool, PoolClient } from "pg";
import { getPool } from "@/lib/db/pool";
import type { AdminActor } from "./auth";
import { logger } from "@/lib/log";

const log = logger("audit");

// Every admin write leaves an AuditEvent: who (user, or the bootstrap key), what (action and
// target), the target before and after, and from which address. Secrets never reach it: any field
// whose name says it holds one is replaced by "[redacted]" at every depth, so a caller that passes a
// whole row cannot leak a channel key, an API key, a password or a code. Recorded after the write
// succeeded; a failure to record is logged rather than turned into an error, because the write
// itself is already committed and a 500 would invite the client to repeat it.

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface AuditInput {
  action: string; // "<noun>.<verb>", e.g. "channel.update"
  targetType: string;
  targetId: string | null;
  data?: Record<string, unknown>;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

const SECRET_FIELD =
  /(secret|password|passwd|apikey|api_key|^key$|hash$|^token$|accesstoken|refreshtoken|^code$|^codes$|credential|authorization)/i;
export const REDACTED = "[redacted]";

/** A JSON copy with every secret-named field redacted (bigints as strings, dates as ISO). */
export function redactForAudit(value: unknown, depth = 0): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (depth > 6) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 200).map((item) => redactForAudit(item, depth + 1));
  if (typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        SECRET_FIELD.test(key) && item !== null && item !== undefined ? REDACTED : redactForAudit(item, depth + 1);
    }
    return out;
  }
  return String(value);
}

export async function recordAudit(
  actor: AdminActor,
  event: AuditInput,
  db: Pool | PoolClient = getPool(),
): Promise<void> {
  try {
    const data = { ...event.data, via: actor.kind, ...(actor.kind === "api_key" ? { apiKeyId: actor.apiKeyId } : {}) };
    await db.query(
      `INSERT INTO "AuditEvent" (id, "actorUserId", action, "targetType", "targetId", data, before, after, ip, "createdAt")
       VALUES (gen_random_uuid()::TEXT, $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, (now() AT TIME ZONE 'UTC'))`,
      [
        actor.userId,
        event.action,
        event.targetType,
        event.targetId,
        JSON.stringify(redactForAudit(data)),
        event.before === undefined || event.before === null ? null : JSON.stringify(redactForAudit(event.before)),
        event.after === undefined || event.after === null ? null : JSON.stringify(redactForAudit(event.after)),
        actor.ip ?? null,
      ],
    );
  } catch (err) {
    log.error(
      { err, action: event.action, targetType: event.targetType, targetId: event.targetId ?? null },
      "could not record an audit event",
    );
  }
}
