"use client";

import Link from "next/link";
import { useActionState } from "react";
import { resetPasswordAction, type ResetPasswordState } from "@/app/(site)/reset-password/actions";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";

const INITIAL: ResetPasswordState = { status: "idle" };

export function ResetPasswordForm({ token }: { token: string }) {
  const [state, action, isPending] = useActionState(resetPasswordAction, INITIAL);
  if (state.isLinkDead) {
    return (
      <div className="mt-8 grid gap-4" aria-live="polite">
        <Notice tone="error">{state.message}</Notice>
        <Link href="/forgot-password" className={buttonClass("primary", "w-full")}>
          Send a new link
        </Link>
      </div>
    );
  }
  const errors = state.fieldErrors ?? {};
  return (
    <form action={action} className="mt-8 grid gap-4" noValidate>
      <input type="hidden" name="token" value={token} />
      <TextField
        id="password"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={200}
        hint="At least 8 characters, and not a common password."
        error={errors.password}
      />
      <TextField
        id="confirmPassword"
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={200}
        error={errors.confirmPassword}
      />
      <button type="submit" disabled={isPending} className={buttonClass("primary", "w-full")}>
        {isPending ? "Saving…" : "Set new password"}
      </button>
    </form>
  );
}
