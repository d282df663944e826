"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { usdToNanos } from "@/lib/billing/money";
import { siteBaseUrl } from "@/lib/accounts/links";
import { actionErrorMessage, type OrgActor } from "@/lib/organizations/access";
import type { FormState } from "@/lib/organizations/action-state";
import { createInvitation, revokeInvitation } from "@/lib/organizations/invitations";
import { changeMemberRole, removeMember, setMemberSpendLimit } from "@/lib/organizations/members";
import { getTenantContext } from "@/lib/tenancy/context";

// Thin: validate the form, name the actor from the session, call lib/organizations (which checks the
// role against the database), refresh the page.

async function actor(): Promise<OrgActor | null> {
  const context = await getTenantContext();
  return context ? { organizationId: context.organization.id, userId: context.user.id } : null;
}

const SIGNED_OUT: FormState = { error: "Your session has ended. Sign in again." };
const id = z.string().min(1).max(100);

const inviteSchema = z.object({
  email: z.string().trim().max(254).email("Enter an email address like name@example.com."),
  role: z.enum(["MEMBER", "ADMIN"], { message: "Choose Member or Admin." }),
});

export async function inviteMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = inviteSchema.safeParse({ email: form.get("email"), role: form.get("role") });
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) fieldErrors[String(issue.path[0])] ??= issue.message;
    return { error: "Check the highlighted field.", fieldErrors };
  }
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    const result = await createInvitation(who, parsed.data, siteBaseUrl());
    revalidatePath("/dashboard/members");
    return {
      ok: result.emailed
        ? `Invitation sent to ${parsed.data.email}.`
        : `The invitation to ${parsed.data.email} exists, but the email could not be sent: share the link yourself.`,
      link: result.link,
    };
  } catch (err) {
    return { error: actionErrorMessage(err, "invite") };
  }
}

export async function changeRoleAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z
    .object({ membershipId: id, role: z.enum(["OWNER", "ADMIN", "MEMBER"]) })
    .safeParse({ membershipId: form.get("membershipId"), role: form.get("role") });
  if (!parsed.success) return { error: "Choose a role." };
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    await changeMemberRole(who, parsed.data.membershipId, parsed.data.role);
    revalidatePath("/dashboard/members");
    return { ok: "Role saved." };
  } catch (err) {
    return { error: actionErrorMessage(err, "change role") };
  }
}

export async function removeMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z.object({ membershipId: id }).safeParse({ membershipId: form.get("membershipId") });
  if (!parsed.success) return { error: "Member not found." };
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    const { revokedKeys } = await removeMember(who, parsed.data.membershipId);
    revalidatePath("/dashboard/members");
    return { ok: `Member removed${revokedKeys ? `; ${revokedKeys} of their keys revoked` : ""}.` };
  } catch (err) {
    return { error: actionErrorMessage(err, "remove member") };
  }
}

export async function setSpendLimitAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z
    .object({ membershipId: id, limit: z.string().trim().max(30) })
    .safeParse({ membershipId: form.get("membershipId"), limit: form.get("limit") ?? "" });
  if (!parsed.success) return { error: "Enter an amount in USD.", fieldErrors: { limit: "Enter an amount in USD." } };
  let limitNanos: bigint | null = null;
  if (parsed.data.limit !== "") {
    try {
      limitNanos = usdToNanos(parsed.data.limit.replace(/^\$/, "").replace(/,/g, ""));
    } catch {
      const message = "Enter an amount in USD like 25 or 12.50, or leave it empty for no cap.";
      return { error: message, fieldErrors: { limit: message } };
    }
  }
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    await setMemberSpendLimit(who, parsed.data.membershipId, limitNanos);
    revalidatePath("/dashboard/members");
    return { ok: limitNanos === null ? "Cap removed." : "Cap saved." };
  } catch (err) {
    const message = actionErrorMessage(err, "set cap");
    return { error: message, fieldErrors: { limit: message } };
  }
}

export async function revokeInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z.object({ invitationId: id }).safeParse({ invitationId: form.get("invitationId") });
  if (!parsed.success) return { error: "Invitation not found." };
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    await revokeInvitation(who, parsed.data.invitationId);
    revalidatePath("/dashboard/members");
    return { ok: "Invitation revoked." };
  } catch (err) {
    return { error: actionErrorMessage(err, "revoke invitation") };
  }
}
