"use client";

import { useActionState } from "react";
import { forgotPasswordAction, type ForgotPasswordState } from "@/app/(site)/forgot-password/actions";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";

const INITIAL: ForgotPasswordState = { status: "idle" };

export function ForgotPasswordForm() {
  const [state, action, isPending] = useActionState(forgotPasswordAction, INITIAL);
  return (
    <form action={action} className="mt-8 grid gap-4" noValidate>
      <TextField
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        required
        maxLength={320}
        defaultValue={state.values?.email ?? ""}
        error={state.fieldErrors?.email}
      />
      <div aria-live="polite" className="empty:hidden">
        {state.status === "done" && <Notice tone="success">{state.message}</Notice>}
      </div>
      <button type="submit" disabled={isPending} className={buttonClass("primary", "w-full")}>
        {isPending ? "Sending…" : "Email me a reset link"}
      </button>
    </form>
  );
}
