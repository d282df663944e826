"use client";

import { useActionState } from "react";
import { updateNameAction, type NameState } from "@/app/(dashboard)/dashboard/account/actions";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";

const INITIAL: NameState = { status: "idle" };

export function ProfileForm({ name }: { name: string }) {
  const [state, action, isPending] = useActionState(updateNameAction, INITIAL);
  return (
    <form action={action} className="grid gap-4" noValidate>
      <TextField
        id="name"
        label="Name"
        autoComplete="name"
        maxLength={100}
        defaultValue={state.values?.name ?? name}
        hint="Shown to people in your organizations."
        error={state.fieldErrors?.name}
      />
      <div aria-live="polite" className="empty:hidden">
        {state.status === "done" && <Notice tone="success">{state.message}</Notice>}
        {state.status === "error" && state.message && <Notice tone="error">{state.message}</Notice>}
      </div>
      <div>
        <button type="submit" disabled={isPending} className={buttonClass("primary")}>
          {isPending ? "Saving…" : "Save name"}
        </button>
      </div>
    </form>
  );
}
