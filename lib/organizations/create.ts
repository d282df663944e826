import { randomUUID } from "node:crypto";
import type { Queryable } from "@/lib/db/hot-path";
import { parsePlatformSettings, SETTING_KEYS } from "../settings/platform";

// Creating an organization: the row and its owner's membership together. Every user gets a personal
// one at sign-up; they may create more. It starts with the platform's default low-balance alert
// threshold (admin settings), which its owner may change or turn off.

export async function createOrganization(
  db: Queryable,
  input: { name: string; ownerUserId: string; personal?: boolean },
): Promise<{ id: string }> {
  const id = `org_${randomUUID().replace(/-/g, "")}`;
  const threshold = await defaultLowBalanceThresholdNanos(db);
  const { rows } = await db.query<{ id: string }>({
    text: `WITH org AS (
       INSERT INTO "Organization" (id, name, personal, "lowBalanceThresholdNanos", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $6::bigint, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'))
       RETURNING id
     )
     INSERT INTO "Membership" (id, "userId", "organizationId", role, "createdAt")
     SELECT $4, $5, org.id, 'OWNER', (now() AT TIME ZONE 'UTC') FROM org
     RETURNING "organizationId" AS id`,
    values: [
      id,
      input.name,
      input.personal ?? false,
      `mem_${randomUUID().replace(/-/g, "")}`,
      input.ownerUserId,
      threshold?.toString() ?? null,
    ],
  });
  return { id: rows[0].id };
}

/** The platform's default low-balance alert for a new organization (admin settings), or null. */
export async function defaultLowBalanceThresholdNanos(db: Queryable): Promise<bigint | null> {
  const { rows } = await db.query<{ key: string; value: unknown }>({
    text: `SELECT key, value FROM "Setting" WHERE key = $1`,
    values: [SETTING_KEYS.lowBalanceThresholdUsd],
  });
  return parsePlatformSettings(rows).defaultLowBalanceThresholdNanos;
}

/** The name of a new user's personal organization. */
export function personalOrganizationName(email: string, name?: string | null): string {
  const who = name?.trim() || email.split("@")[0];
  return `${who}'s workspace`.slice(0, 200);
}
