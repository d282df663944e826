"use server";

import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { usdToNanos } from "@/lib/billing/money";
import { redeemCode } from "@/lib/billing/redemption";
import { formatUsd } from "@/lib/format";
import { actionErrorMessage, requireRole, type OrgActor } from "@/lib/organizations/access";
import type { FormState } from "@/lib/organizations/action-state";
import {
  createOrganizationForUser,
  deleteOrganization,
  renameOrganization,
  setLowBalanceThreshold,
} from "@/lib/organizations/settings";
import { setActiveOrganizationCookie } from "@/lib/tenancy/active-organization";
import { ACTIVE_ORG_COOKIE, getTenantContext } from "@/lib/tenancy/context";
import { getSessionUser } from "@/lib/auth/session";

// Thin: validate the form, name the actor from the session, call the domain function (which checks
// the role against the database), refresh.

async function actor(): Promise<OrgActor | null> {
  const context = await getTenantContext();
  return context ? { organizationId: context.organization.id, userId: context.user.id } : null;
}

const SIGNED_OUT: FormState = { error: "Your session has ended. Sign in again." };

function fieldError(field: string, message: string): FormState {
  return { error: message, fieldErrors: { [field]: message } };
}

/** "$1,250.50" or "1250.5" → nanos; null for empty; undefined when not an amount. */
function parseUsd(raw: FormDataEntryValue | null): bigint | null | undefined {
  const text = String(raw ?? "")
    .trim()
    .replace(/^\$/, "")
    .replace(/,/g, "");
  if (text === "") return null;
  try {
    return usdToNanos(text);
  } catch {
    return undefined;
  }
}

export async function renameOrganizationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z
    .string()
    .max(500)
    .safeParse(form.get("name") ?? "");
  if (!parsed.success) return fieldError("name", "Use at most 100 characters.");
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    const name = await renameOrganization(who, parsed.data);
    revalidatePath("/dashboard", "layout");
    return { ok: `Renamed to ${name}.` };
  } catch (err) {
    return fieldError("name", actionErrorMessage(err, "rename"));
  }
}

export async function setThresholdAction(_prev: FormState, form: FormData): Promise<FormState> {
  const thresholdNanos = parseUsd(form.get("threshold"));
  if (thresholdNanos === undefined) {
    return fieldError("threshold", "Enter an amount in USD like 10 or 2.50, or leave it empty to turn the alert off.");
  }
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    await setLowBalanceThreshold(who, thresholdNanos);
    revalidatePath("/dashboard/settings");
    return {
      ok:
        thresholdNanos === null
          ? "Low-balance alert turned off."
          : `Owners get an email when the balance falls below ${formatUsd(thresholdNanos)}.`,
    };
  } catch (err) {
    return fieldError("threshold", actionErrorMessage(err, "set threshold"));
  }
}

export async function redeemCodeAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z
    .string()
    .trim()
    .min(1)
    .max(100)
    .safeParse(form.get("code") ?? "");
  if (!parsed.success) return fieldError("code", "Enter a code like TF-XXXX-XXXX-XXXX-XXXX.");
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    // Crediting the balance is billing: owners only (the API route lets any key of the org redeem).
    await requireRole(who, "OWNER");
    const result = await redeemCode(who.organizationId, parsed.data, who.userId);
    revalidatePath("/dashboard", "layout");
    return {
      ok: `Redeemed ${formatUsd(usdToNanos(result.creditedUsd))}. The balance is now ${formatUsd(usdToNanos(result.balanceUsd))}.`,
    };
  } catch (err) {
    return fieldError("code", actionErrorMessage(err, "redeem"));
  }
}

export async function deleteOrganizationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z
    .string()
    .max(500)
    .safeParse(form.get("confirmName") ?? "");
  if (!parsed.success) return fieldError("confirmName", "Type the organization's name exactly to confirm.");
  const who = await actor();
  if (!who) return SIGNED_OUT;
  try {
    await deleteOrganization(who, parsed.data);
  } catch (err) {
    return fieldError("confirmName", actionErrorMessage(err, "delete organization"));
  }
  // The cookie pointed at the deleted organization: the context falls back to another one.
  (await cookies()).delete(ACTIVE_ORG_COOKIE);
  redirect("/dashboard");
}

export async function createOrganizationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = z
    .string()
    .max(500)
    .safeParse(form.get("name") ?? "");
  if (!parsed.success) return fieldError("newName", "Use at most 100 characters.");
  const user = await getSessionUser();
  if (!user) return SIGNED_OUT;
  let id: string;
  try {
    ({ id } = await createOrganizationForUser(user.id, parsed.data));
  } catch (err) {
    return fieldError("newName", actionErrorMessage(err, "create organization"));
  }
  await setActiveOrganizationCookie(id);
  redirect("/dashboard");
}
