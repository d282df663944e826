"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { getSessionUser } from "@/lib/auth/session";
import { actionErrorMessage } from "@/lib/organizations/access";
import type { FormState } from "@/lib/organizations/action-state";
import { acceptInvitation, INVALID_INVITATION_MESSAGE } from "@/lib/organizations/invitations";
import { setActiveOrganizationCookie } from "@/lib/tenancy/active-organization";

// Accepting an invitation: the signed-in user joins, the organization becomes their active one.
export async function acceptInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const token = z
    .string()
    .max(100)
    .safeParse(form.get("token") ?? "");
  if (!token.success) return { error: INVALID_INVITATION_MESSAGE };
  const user = await getSessionUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(`/invite/${token.data}`)}`);
  let organizationId: string;
  try {
    ({ organizationId } = await acceptInvitation(token.data, user));
  } catch (err) {
    return { error: actionErrorMessage(err, "accept invitation") };
  }
  await setActiveOrganizationCookie(organizationId);
  redirect("/dashboard");
}
