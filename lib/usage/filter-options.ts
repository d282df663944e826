import type { Queryable } from "@/lib/db/hot-path";
import { getPool } from "@/lib/db/pool";

// What the filter menus offer: the organization's keys, members and the models it has used.

export interface FilterOptions {
  keys: { id: string; name: string; partialKey: string; revoked: boolean }[];
  members: { id: string; label: string }[];
  models: string[];
}

export async function getFilterOptions(organizationId: string, db: Queryable = getPool()): Promise<FilterOptions> {
  const [keys, members, models] = await Promise.all([
    db.query<{ id: string; name: string; partialKey: string; revoked: boolean }>({
      text: `SELECT id, name, "partialKey", "revokedAt" IS NOT NULL AS revoked
               FROM "ApiKey" WHERE "organizationId" = $1 ORDER BY lower(name), id`,
      values: [organizationId],
    }),
    db.query<{ id: string; label: string }>({
      text: `SELECT u.id, COALESCE(NULLIF(u.name, '') || ' (' || u.email || ')', u.email) AS label
               FROM "Membership" m JOIN "User" u ON u.id = m."userId"
              WHERE m."organizationId" = $1 ORDER BY lower(u.email)`,
      values: [organizationId],
    }),
    db.query<{ model: string }>({
      text: `SELECT DISTINCT model FROM "UsageDaily" WHERE "organizationId" = $1 ORDER BY model`,
      values: [organizationId],
    }),
  ]);
  return { keys: keys.rows, members: members.rows, models: models.rows.map((r) => r.model) };
}
