"use server";

import { headers } from "next/headers";
import { z } from "zod";
import type { AccountFormState } from "@/lib/accounts/form-state";
import { FORGOT_PASSWORD_ANSWER, requestPasswordReset } from "@/lib/accounts/password-reset";
import { emailSchema } from "@/lib/accounts/sign-up";
import { clientIpForThrottling } from "@/lib/gateway/client-ip";
import { logger } from "@/lib/log";

const log = logger("accounts");

export type ForgotPasswordState = AccountFormState<"email">;

export async function forgotPasswordAction(_previous: ForgotPasswordState, formData: FormData) {
  const raw = String(formData.get("email") ?? "");
  const parsed = z.object({ email: emailSchema }).safeParse({ email: raw });
  if (!parsed.success) {
    return {
      status: "error",
      fieldErrors: { email: parsed.error.issues[0].message },
      values: { email: raw },
    } satisfies ForgotPasswordState;
  }
  try {
    await requestPasswordReset(parsed.data.email, clientIpForThrottling(await headers()));
  } catch (err) {
    // The same answer either way (no account enumeration); the operator sees the failure.
    log.error({ err }, "password reset email failed");
  }
  return { status: "done", message: FORGOT_PASSWORD_ANSWER } satisfies ForgotPasswordState;
}
