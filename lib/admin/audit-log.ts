import { z } from "zod";
import { getPool } from "@/lib/db/pool";
import { decodeCursor, encodeCursor } from "@/lib/usage/cursor";

// Reading the audit log: newest first, filtered by action (exact, or a "channel." prefix), actor
// (user id or email), target and time; keyset pages of (createdAt, id). Shared by
// GET /api/admin/audit-log and the console's page.

export const auditLogQuery = z.object({
  action: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  targetType: z.string().max(100).optional(),
  targetId: z.string().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditLogQuery = z.output<typeof auditLogQuery>;

export interface AuditEntryJson {
  id: string;
  actor: { id: string | null; email: string | null; via: string };
  action: string;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  data: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export async function listAuditLog(
  query: AuditLogQuery,
): Promise<{ data: AuditEntryJson[]; nextCursor: string | null }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    where.push(sql(`$${values.length}`));
  };
  if (query.action) {
    if (query.action.endsWith(".")) add((n) => `a.action LIKE ${n} || '%'`, query.action);
    else add((n) => `a.action = ${n}`, query.action);
  }
  if (query.actor) add((n) => `(a."actorUserId" = ${n} OR lower(u.email) = lower(${n}))`, query.actor);
  if (query.targetType) add((n) => `a."targetType" = ${n}`, query.targetType);
  if (query.targetId) add((n) => `a."targetId" = ${n}`, query.targetId);
  if (query.from) add((n) => `a."createdAt" >= (${n}::timestamptz AT TIME ZONE 'UTC')`, query.from);
  if (query.to) add((n) => `a."createdAt" < (${n}::timestamptz AT TIME ZONE 'UTC')`, query.to);
  const cursor = decodeCursor(query.cursor);
  if (cursor) {
    values.push(cursor.createdAt, cursor.id);
    where.push(`(a."createdAt", a.id) < ($${values.length - 1}, $${values.length})`);
  }
  values.push(query.limit + 1);
  const { rows } = await getPool().query<{
    id: string;
    actorUserId: string | null;
    email: string | null;
    action: string;
    targetType: string;
    targetId: string | null;
    data: Record<string, unknown>;
    before: unknown;
    after: unknown;
    ip: string | null;
    createdAt: Date;
  }>(
    `SELECT a.id, a."actorUserId", u.email, a.action, a."targetType", a."targetId", a.data, a.before, a.after, a.ip, a."createdAt"
       FROM "AuditEvent" a LEFT JOIN "User" u ON u.id = a."actorUserId"
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY a."createdAt" DESC, a.id DESC
      LIMIT $${values.length}`,
    values,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((row) => ({
      id: row.id,
      actor: {
        id: row.actorUserId,
        email: row.email,
        via: String(row.data?.via ?? (row.actorUserId ? "session" : "bootstrap_key")),
      },
      action: row.action,
      target: { type: row.targetType, id: row.targetId },
      before: row.before,
      after: row.after,
      data: row.data ?? {},
      ip: row.ip,
      createdAt: row.createdAt.toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}
