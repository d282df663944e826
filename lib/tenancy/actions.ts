"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/session";
import { ACTIVE_ORG_COOKIE, listMemberships } from "./context";

/** Makes one of the user's organizations the active one (ignored for an organization they are not in). */
export async function switchOrganization(formData: FormData): Promise<void> {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  const organizationId = String(formData.get("organizationId") ?? "");
  const memberships = await listMemberships(user.id);
  if (memberships.some((o) => o.id === organizationId)) {
    (await cookies()).set(ACTIVE_ORG_COOKIE, organizationId, {
      httpOnly: true,
      sameSite: "lax",
      secure: process.env.NODE_ENV === "production" && (process.env.NEXTAUTH_URL ?? "").startsWith("https:"),
      path: "/",
      maxAge: 60 * 60 * 24 * 365,
    });
  }
  redirect("/dashboard");
}
