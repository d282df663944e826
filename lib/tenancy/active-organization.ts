import { cookies } from "next/headers";
import { ACTIVE_ORG_COOKIE } from "./context";

/**
 * Remembers which of the user's organizations is active. Only a hint: getTenantContext() honours it
 * only for an organization the user is a member of. Callers check membership first anyway.
 */
export async function setActiveOrganizationCookie(organizationId: string): Promise<void> {
  (await cookies()).set(ACTIVE_ORG_COOKIE, organizationId, {
    httpOnly: true,
    sameSite: "lax",
    secure: process.env.NODE_ENV === "production" && (process.env.NEXTAUTH_URL ?? "").startsWith("https:"),
    path: "/",
    maxAge: 60 * 60 * 24 * 365,
  });
}
