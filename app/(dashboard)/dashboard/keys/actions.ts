"use server";

import { revalidatePath } from "next/cache";
import { notFound, redirect } from "next/navigation";
import { z } from "zod";
import type { KeyFormState, KeyFormValues } from "@/components/keys/key-form-state";
import { ApiError } from "@/lib/api/errors";
import { idRef } from "@/lib/admin/fields";
import { limitsFromForm, parseApiKeyForm, SPEND_PERIODS, type ApiKeyFormErrors } from "@/lib/keys/input";
import { createApiKey, revokeApiKey, updateApiKeyLimits, type KeyActor } from "@/lib/keys/manage";
import { listPublicModels } from "@/lib/models/public-models";
import { getTenantContext, hasRole } from "@/lib/tenancy/context";

// The key forms' server actions: who acts and in which organization come from the session, never
// from the form; the form only names the key (by id, checked against that organization) and limits.

const ADMINS_ONLY = "Only owners and admins of this organization can create, change or revoke API keys.";

async function actingAdmin(): Promise<{ organizationId: string; actor: KeyActor } | string> {
  const context = await getTenantContext();
  if (!context) return "Your session has ended. Sign in again.";
  if (!hasRole(context.organization.role, "ADMIN")) return ADMINS_ONLY;
  return {
    organizationId: context.organization.id,
    actor: { kind: "member", userId: context.user.id, role: context.organization.role },
  };
}

function submittedValues(form: FormData): KeyFormValues {
  const read = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value.slice(0, 200) : "";
  };
  const period = read("spendLimitPeriod");
  return {
    name: read("name"),
    allowedModels: form.getAll("allowedModels").filter((v): v is string => typeof v === "string"),
    expiresOn: read("expiresOn"),
    rpmLimit: read("rpmLimit"),
    tpmLimit: read("tpmLimit"),
    maxConcurrency: read("maxConcurrency"),
    spendLimitUsd: read("spendLimitUsd"),
    spendLimitPeriod: (SPEND_PERIODS as readonly string[]).includes(period)
      ? (period as KeyFormValues["spendLimitPeriod"])
      : "TOTAL",
  };
}

const attempt = () => Date.now();

function refused(form: FormData, message: string, errors: ApiKeyFormErrors = {}): KeyFormState {
  return { status: "error", message, errors, values: submittedValues(form), attempt: attempt() };
}

// The domain names its fields (expiresAt, spendLimitNanos); the form has its own names.
const FORM_FIELD: Record<string, keyof ApiKeyFormErrors> = {
  expiresAt: "expiresOn",
  spendLimitNanos: "spendLimitUsd",
  name: "name",
  allowedModels: "allowedModels",
  rpmLimit: "rpmLimit",
  tpmLimit: "tpmLimit",
  maxConcurrency: "maxConcurrency",
  spendLimitPeriod: "spendLimitPeriod",
};

async function validatedForm(form: FormData) {
  const parsed = parseApiKeyForm(form);
  if (!parsed.ok) return { error: refused(form, "Check the highlighted fields.", parsed.errors) };
  // The form offers the enabled models; anything else is stale or forged.
  const enabled = new Set((await listPublicModels()).map((m) => m.id));
  const unknown = parsed.values.allowedModels.filter((id) => !enabled.has(id));
  if (unknown.length > 0) {
    return {
      error: refused(form, "Check the highlighted fields.", {
        allowedModels: `Models ${unknown.join(", ")} are not available.`,
      }),
    };
  }
  return { values: parsed.values };
}

function domainRefusal(form: FormData, error: unknown): KeyFormState {
  if (error instanceof ApiError && error.code === "validation_error") {
    const field = FORM_FIELD[(error.field ?? "").split(".")[0]] ?? "name";
    // The domain's message starts with its own field name: keep only what follows.
    const message = error.message.slice(error.field ? error.field.length + 1 : 0);
    return refused(form, "Check the highlighted fields.", { [field]: `This field ${message}` });
  }
  if (error instanceof ApiError && error.code === "forbidden") return refused(form, ADMINS_ONLY);
  throw error;
}

/** Create key: the answer carries the full key, which the page shows once and never again. */
export async function createKeyAction(_previous: KeyFormState, form: FormData): Promise<KeyFormState> {
  const acting = await actingAdmin();
  if (typeof acting === "string") return refused(form, acting);
  const checked = await validatedForm(form);
  if (checked.error) return checked.error;
  let created;
  try {
    created = await createApiKey(acting.organizationId, acting.actor, limitsFromForm(checked.values));
  } catch (error) {
    return domainRefusal(form, error);
  }
  revalidatePath("/dashboard/keys");
  return { status: "created", key: created.key, name: created.name, partialKey: created.partialKey };
}

const keyIdSchema = z.object({ keyId: idRef });

/** Save limits: every field of the form; the expiry only when the user changed the date. */
export async function updateKeyAction(_previous: KeyFormState, form: FormData): Promise<KeyFormState> {
  const acting = await actingAdmin();
  if (typeof acting === "string") return refused(form, acting);
  const id = keyIdSchema.safeParse({ keyId: form.get("keyId") });
  if (!id.success) notFound();
  const checked = await validatedForm(form);
  if (checked.error) return checked.error;
  const { expiresAt, ...limits } = limitsFromForm(checked.values);
  // The edit form shows the expiry as a date; an untouched date keeps the exact moment stored.
  const expiryChanged = form.get("expiresOn") !== form.get("expiresOnWas");
  try {
    await updateApiKeyLimits(
      acting.organizationId,
      id.data.keyId,
      { ...limits, ...(expiryChanged ? { expiresAt } : {}) },
      acting.actor,
    );
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_found") notFound();
    return domainRefusal(form, error);
  }
  revalidatePath("/dashboard/keys");
  revalidatePath(`/dashboard/keys/${id.data.keyId}`);
  return { status: "saved", message: "Limits saved. They apply from the next request.", attempt: attempt() };
}

/** Revoke (after the confirmation dialog): refused everywhere from the next request on. */
export async function revokeKeyAction(form: FormData): Promise<void> {
  const acting = await actingAdmin();
  if (typeof acting === "string") notFound();
  const id = keyIdSchema.safeParse({ keyId: form.get("keyId") });
  if (!id.success) notFound();
  try {
    await revokeApiKey(acting.organizationId, id.data.keyId, acting.actor);
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_found") notFound();
    throw error;
  }
  revalidatePath("/dashboard/keys");
  redirect(`/dashboard/keys?revoked=${encodeURIComponent(id.data.keyId)}`);
}
