import { cookies } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/session";
import { ACTIVE_ORG_COOKIE, hasRole, listMemberships, type MembershipRole, type TenantContext } from "./memberships";

// Who is asking, in which organization, with which role — for every dashboard page, server action
// and tenant route handler. The organization comes from the session's membership (the cookie only
// says which of the user's organizations is active); every tenant query takes its id.

export {
  ACTIVE_ORG_COOKIE,
  hasRole,
  listMemberships,
  ROLE_RANK,
  type MembershipRole,
  type OrganizationSummary,
  type TenantContext,
} from "./memberships";

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
