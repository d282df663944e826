import { ApiError } from "@/lib/api/errors";
import { getPool } from "@/lib/db/pool";
import type { Queryable } from "@/lib/db/hot-path";
import type { MembershipRole } from "@/lib/tenancy/context";
import { logger } from "@/lib/log";

const log = logger("organizations");

// Who acts on an organization, checked against the database on every call: pages, server actions
// and routes pass the session's user and active organization, and each domain function re-reads the
// membership, so a role changed or a member removed a second ago is already in force, and an
// organization the user is not in (or one deleted) answers not found, like a missing one.

export interface OrgActor {
  organizationId: string;
  userId: string;
}

const RANK: Readonly<Record<MembershipRole, number>> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

export function roleAtLeast(role: MembershipRole, atLeast: MembershipRole): boolean {
  return RANK[role] >= RANK[atLeast];
}

export function organizationNotFound(): ApiError {
  return new ApiError("not_found", "Organization not found.");
}

/** The actor's role in the organization, or throws not_found / forbidden. */
export async function requireRole(
  actor: OrgActor,
  atLeast: MembershipRole,
  db: Queryable = getPool(),
): Promise<MembershipRole> {
  const { rows } = await db.query<{ role: MembershipRole }>({
    text: `SELECT m.role FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId"
            WHERE m."organizationId" = $1 AND m."userId" = $2 AND o."deletedAt" IS NULL`,
    values: [actor.organizationId, actor.userId],
  });
  const role = rows[0]?.role;
  if (!role) throw organizationNotFound();
  if (!roleAtLeast(role, atLeast)) {
    throw new ApiError("forbidden", `Only ${atLeast === "OWNER" ? "owners" : "admins and owners"} can do this.`);
  }
  return role;
}

/** The message a form shows for a domain error; anything unexpected is logged and stays generic. */
export function actionErrorMessage(err: unknown, what: string): string {
  if (err instanceof ApiError) return err.message;
  log.error({ err, what }, "an organization action failed");
  return "Something went wrong on our side. Please try again.";
}
