import { sessionUserOfRequest, parseCookies } from "@/lib/auth/request-session";
import type { HeaderReader } from "@/lib/http/header-reader";
import { ACTIVE_ORG_COOKIE, listMemberships, type TenantContext } from "./memberships";

// getTenantContext for a raw web Request (routes our own server answers outside Next.js): the
// session's user, and the active organization from the tf_org cookie, validated against memberships.

export async function tenantOfRequest(headers: HeaderReader): Promise<TenantContext | null> {
  const user = await sessionUserOfRequest(headers);
  if (!user) return null;
  const organizations = await listMemberships(user.id);
  if (organizations.length === 0) return null;
  const wanted = parseCookies(headers.get("cookie"))[ACTIVE_ORG_COOKIE];
  const organization = organizations.find((o) => o.id === wanted) ?? organizations[0];
  return { user, organization, organizations };
}
