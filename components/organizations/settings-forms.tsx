"use client";

import { useActionState, useState } from "react";
import {
  createOrganizationAction,
  deleteOrganizationAction,
  redeemCodeAction,
  renameOrganizationAction,
  setThresholdAction,
} from "@/app/(dashboard)/dashboard/settings/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { INITIAL_FORM_STATE, type FormState } from "@/lib/organizations/action-state";
import { FormStatus } from "./form-status";

/** One labelled input and a button named by what it does, with its result announced. */
function SingleFieldForm({
  action,
  id,
  name,
  label,
  hint,
  defaultValue,
  placeholder,
  button,
  pendingButton,
  variant = "primary",
  testId,
  inputMode,
}: {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  id: string;
  name: string;
  label: string;
  hint?: string;
  defaultValue?: string;
  placeholder?: string;
  button: string;
  pendingButton: string;
  variant?: "primary" | "secondary" | "danger";
  testId?: string;
  inputMode?: "decimal" | "text";
}) {
  const [state, formAction, pending] = useActionState(action, INITIAL_FORM_STATE);
  const error = state.fieldErrors?.[id] ?? state.fieldErrors?.[name];
  return (
    <form action={formAction} className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_auto] sm:items-start">
        <TextField
          id={id}
          name={name}
          label={label}
          hint={hint}
          error={error}
          defaultValue={defaultValue}
          placeholder={placeholder}
          inputMode={inputMode}
          autoComplete="off"
        />
        <Button type="submit" variant={variant} disabled={pending} className="sm:mt-7">
          {pending ? pendingButton : button}
        </Button>
      </div>
      <FormStatus state={error ? {} : state} testId={testId} />
    </form>
  );
}

export function RenameForm({ name }: { name: string }) {
  return (
    <SingleFieldForm
      action={renameOrganizationAction}
      id="name"
      name="name"
      label="Organization name"
      defaultValue={name}
      button="Rename"
      pendingButton="Renaming…"
      testId="rename-status"
    />
  );
}

export function ThresholdForm({ thresholdUsd }: { thresholdUsd: string }) {
  return (
    <SingleFieldForm
      action={setThresholdAction}
      id="threshold"
      name="threshold"
      label="Alert below (USD)"
      hint="Empty turns the alert off."
      defaultValue={thresholdUsd}
      placeholder="e.g. 10"
      inputMode="decimal"
      button="Save alert"
      pendingButton="Saving…"
      testId="threshold-status"
    />
  );
}

export function RedeemForm() {
  return (
    <SingleFieldForm
      action={redeemCodeAction}
      id="code"
      name="code"
      label="Credit code"
      placeholder="TF-XXXX-XXXX-XXXX-XXXX"
      button="Redeem code"
      pendingButton="Redeeming…"
      testId="redeem-status"
    />
  );
}

export function CreateOrganizationForm() {
  return (
    <SingleFieldForm
      action={createOrganizationAction}
      id="newName"
      name="name"
      label="New organization name"
      placeholder="e.g. Acme Research"
      button="Create organization"
      pendingButton="Creating…"
      variant="secondary"
    />
  );
}

export function DeleteOrganizationForm({ name }: { name: string }) {
  const [state, formAction, pending] = useActionState(deleteOrganizationAction, INITIAL_FORM_STATE);
  const [typed, setTyped] = useState("");
  const error = state.fieldErrors?.confirmName;
  return (
    <form action={formAction} className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_auto] sm:items-start">
        <TextField
          id="confirmName"
          name="confirmName"
          label={`Type "${name}" to confirm`}
          error={error}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
        />
        <Button type="submit" variant="danger" disabled={pending || typed.trim() !== name} className="sm:mt-7">
          {pending ? "Deleting…" : "Delete organization"}
        </Button>
      </div>
      <FormStatus state={error ? {} : state} />
    </form>
  );
}
