import { cookies } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { getPool } from "@/lib/db/pool";
import { getSessionUser, type SessionUser } from "@/lib/auth/session";

// Who is asking, in which organization, with which role — for every dashboard page, server action
// and tenant route handler. The organization comes from the session's membership (the cookie only
// says which of the user's organizations is active); every tenant query takes its id.

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

/** The signed-in user's tenant context, or null when signed out (or in no organization). */
export async function getTenantContext(): Promise<TenantContext | null> {
  const user = await getSessionUser();
  if (!user) return null;
  const organizations = await listMemberships(user.id);
  if (organizations.length === 0) return null;
  const wanted = (await cookies()).get(ACTIVE_ORG_COOKIE)?.value;
  const organization = organizations.find((o) => o.id === wanted) ?? organizations[0];
  return { user, organization, organizations };
}

/**
 * For dashboard pages: the tenant context, redirecting to sign-in when signed out. A role below
 * `atLeast` renders the 404 page: a member cannot tell an admin page from a missing one.
 */
export async function requireTenant(atLeast: MembershipRole = "MEMBER", from = "/dashboard"): Promise<TenantContext> {
  const user = await getSessionUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(from)}`);
  const context = await getTenantContext();
  if (!context) redirect("/onboarding"); // signed in, but in no organization (any more)
  if (!hasRole(context.organization.role, atLeast)) notFound();
  return context;
}
