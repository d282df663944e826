"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import type { AccountFormState } from "@/lib/accounts/form-state";
import { resetPassword } from "@/lib/accounts/password-reset";

export type ResetPasswordState = AccountFormState<"password" | "confirmPassword"> & { isLinkDead?: boolean };

const schema = z.object({
  token: z.string().min(1).max(200),
  password: z.string().max(1024),
  confirmPassword: z.string().max(1024),
});

export async function resetPasswordAction(
  _previous: ResetPasswordState,
  formData: FormData,
): Promise<ResetPasswordState> {
  const parsed = schema.safeParse({
    token: formData.get("token"),
    password: formData.get("password") ?? "",
    confirmPassword: formData.get("confirmPassword") ?? "",
  });
  if (!parsed.success) return { status: "error", isLinkDead: true, message: "This link is not valid." };
  const { token, password, confirmPassword } = parsed.data;
  if (password !== confirmPassword && password.length > 0) {
    return { status: "error", fieldErrors: { confirmPassword: "The passwords do not match." } };
  }
  const result = await resetPassword(token, password);
  if (!result.ok) {
    return result.reason === "weak_password"
      ? { status: "error", fieldErrors: { password: result.message } }
      : { status: "error", isLinkDead: true, message: result.message };
  }
  redirect(result.revokedKeys > 0 ? "/login?note=password-reset-keys-revoked" : "/login?note=password-reset");
}
