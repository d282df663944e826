import { getPool } from "@/lib/db/pool";
import type { SessionUser } from "@/lib/auth/session";

// Roles and memberships, free of Next.js request APIs, so our own server (outside Next) can use them
// too; lib/tenancy/context.ts builds the page-side tenant context on top.

export type MembershipRole = "OWNER" | "ADMIN" | "MEMBER";

export const ROLE_RANK: Readonly<Record<MembershipRole, number>> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

export const ACTIVE_ORG_COOKIE = "tf_org";

export interface OrganizationSummary {
  id: string;
  name: string;
  role: MembershipRole;
  personal: boolean;
}

export interface TenantContext {
  user: SessionUser;
  organization: OrganizationSummary;
  /** Every organization the user belongs to (for the switcher). */
  organizations: OrganizationSummary[];
}

export function hasRole(role: MembershipRole, atLeast: MembershipRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[atLeast];
}

/** The user's organizations (not deleted), personal first, then by name. */
export async function listMemberships(userId: string): Promise<OrganizationSummary[]> {
  const { rows } = await getPool().query<OrganizationSummary>(
    `SELECT o.id, o.name, m.role, o.personal
       FROM "Membership" m JOIN "Organization" o ON o.id = m."organizationId"
      WHERE m."userId" = $1 AND o."deletedAt" IS NULL
      ORDER BY o.personal DESC, lower(o.name), o.id`,
    [userId],
  );
  return rows;
}
