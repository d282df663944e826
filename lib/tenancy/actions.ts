"use server";

import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/session";
import { setActiveOrganizationCookie } from "./active-organization";
import { listMemberships } from "./context";

/** Makes one of the user's organizations the active one (ignored for an organization they are not in). */
export async function switchOrganization(formData: FormData): Promise<void> {
  const user = await getSessionUser();
  if (!user) redirect("/login");
  const organizationId = String(formData.get("organizationId") ?? "");
  const memberships = await listMemberships(user.id);
  if (memberships.some((o) => o.id === organizationId)) await setActiveOrganizationCookie(organizationId);
  redirect("/dashboard");
}
