"use client";

import { useActionState } from "react";
import { changePasswordAction, type PasswordState } from "@/app/(dashboard)/dashboard/account/actions";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";

const INITIAL: PasswordState = { status: "idle" };

export function ChangePasswordForm() {
  const [state, action, isPending] = useActionState(changePasswordAction, INITIAL);
  const errors = state.fieldErrors ?? {};
  return (
    <form action={action} className="grid gap-4" noValidate>
      <TextField
        id="currentPassword"
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        error={errors.currentPassword}
      />
      <TextField
        id="newPassword"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={200}
        hint="At least 8 characters, and not a common password."
        error={errors.newPassword}
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
      <div aria-live="polite" className="empty:hidden">
        {state.status === "done" && <Notice tone="success">{state.message}</Notice>}
        {state.status === "error" && state.message && <Notice tone="error">{state.message}</Notice>}
      </div>
      <div>
        <button type="submit" disabled={isPending} className={buttonClass("primary")}>
          {isPending ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}
