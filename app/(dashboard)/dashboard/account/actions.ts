"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { fieldErrorsFrom, type AccountFormState } from "@/lib/accounts/form-state";
import { changePassword, updateAccountName } from "@/lib/accounts/profile";
import { displayNameSchema } from "@/lib/accounts/sign-up";
import { getSessionUser } from "@/lib/auth/session";
import { reissueSessionCookie } from "@/lib/auth/session-cookie";

export type NameState = AccountFormState<"name">;
export type PasswordState = AccountFormState<"currentPassword" | "newPassword" | "confirmPassword">;

const SIGNED_OUT = { status: "error", message: "Your session ended: sign in again." } as const;

export async function updateNameAction(_previous: NameState, formData: FormData): Promise<NameState> {
  const user = await getSessionUser();
  if (!user) return SIGNED_OUT;
  const raw = String(formData.get("name") ?? "");
  const parsed = z.object({ name: displayNameSchema }).safeParse({ name: raw });
  if (!parsed.success) {
    return { status: "error", fieldErrors: fieldErrorsFrom(parsed.error.issues), values: { name: raw } };
  }
  await updateAccountName(user.id, parsed.data.name);
  revalidatePath("/dashboard", "layout");
  return { status: "done", message: "Name saved.", values: { name: parsed.data.name } };
}

const passwordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password.").max(1024),
    newPassword: z.string().max(1024),
    confirmPassword: z.string().max(1024),
  })
  .refine((input) => input.newPassword === input.confirmPassword, {
    path: ["confirmPassword"],
    message: "The new passwords do not match.",
  });

export async function changePasswordAction(_previous: PasswordState, formData: FormData): Promise<PasswordState> {
  const user = await getSessionUser();
  if (!user) return SIGNED_OUT;
  const parsed = passwordSchema.safeParse({
    currentPassword: formData.get("currentPassword") ?? "",
    newPassword: formData.get("newPassword") ?? "",
    confirmPassword: formData.get("confirmPassword") ?? "",
  });
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsFrom(parsed.error.issues) };
  const result = await changePassword(user.id, parsed.data.currentPassword, parsed.data.newPassword);
  if (!result.ok) return { status: "error", fieldErrors: { [result.field]: result.message } };
  // Other sessions end with the old password; this browser keeps going with a fresh cookie.
  await reissueSessionCookie({ id: user.id, email: user.email, name: null }, result.passwordHash);
  return { status: "done", message: "Password changed. You were signed out on other devices." };
}
