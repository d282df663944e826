"use server";

import { headers } from "next/headers";
import { fieldErrorsFrom, type AccountFormState } from "@/lib/accounts/form-state";
import { signUp, signUpSchema } from "@/lib/accounts/sign-up";
import { clientIpForThrottling } from "@/lib/gateway/client-ip";

export type SignUpField = "email" | "name" | "password" | "confirmPassword";
export type SignUpState = AccountFormState<SignUpField> & { needsEmailVerification?: boolean };

export async function signUpAction(_previous: SignUpState, formData: FormData): Promise<SignUpState> {
  const raw = {
    email: String(formData.get("email") ?? ""),
    name: String(formData.get("name") ?? ""),
    password: String(formData.get("password") ?? ""),
    confirmPassword: String(formData.get("confirmPassword") ?? ""),
  };
  const values = { email: raw.email, name: raw.name }; // never the passwords
  const parsed = signUpSchema.safeParse(raw);
  if (!parsed.success) {
    return { status: "error", fieldErrors: fieldErrorsFrom<SignUpField>(parsed.error.issues), values };
  }
  const result = await signUp(parsed.data, clientIpForThrottling(await headers()));
  if (!result.ok) {
    return result.reason === "email_taken"
      ? { status: "error", fieldErrors: { email: result.message }, values }
      : { status: "error", message: result.message, values };
  }
  return { status: "done", needsEmailVerification: result.needsEmailVerification, values };
}
