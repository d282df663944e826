"use client";

import Link from "next/link";
import { useActionState } from "react";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { Field, INPUT_CLASS, SelectField, TextField } from "@/components/ui/field";
import type { ApiKeyFormErrors } from "@/lib/keys/input";
import type { KeyFormState, KeyFormValues } from "./key-form-state";

export interface ModelOption {
  id: string;
  displayName: string;
  provider: string;
}

type Action = (state: KeyFormState, form: FormData) => Promise<KeyFormState>;

/**
 * The create and edit forms of a key (the same limit fields). After "Create key" the full key is
 * shown here once, from the action's answer only: it is never stored, so a reload cannot show it.
 */
export function KeyForm({
  mode,
  action,
  models,
  initial,
  keyId,
  expiresOnWas,
}: {
  mode: "create" | "edit";
  action: Action;
  models: ModelOption[];
  initial: KeyFormValues;
  keyId?: string;
  expiresOnWas?: string;
}) {
  const [state, formAction, pending] = useActionState(action, { status: "idle" } as KeyFormState);

  if (state.status === "created") return <CreatedKey state={state} />;

  const values = state.status === "error" ? state.values : initial;
  const errors: ApiKeyFormErrors = state.status === "error" ? state.errors : {};
  // A new key per answer re-applies the defaults (React resets a form after its action).
  const formKey = state.status === "idle" ? "initial" : String(state.attempt);
  const today = new Date().toISOString().slice(0, 10);

  return (
    <form key={formKey} action={formAction} noValidate aria-describedby="key-form-result">
      {keyId && <input type="hidden" name="keyId" value={keyId} />}
      {expiresOnWas !== undefined && <input type="hidden" name="expiresOnWas" value={expiresOnWas} />}
      {/* Outside the fields' grid: empty, it takes no room; it is always there, so screen readers announce it. */}
      <div id="key-form-result" aria-live="polite">
        {state.status === "error" && (
          <div className="mb-6">
            <Notice tone="error">{state.message}</Notice>
          </div>
        )}
        {state.status === "saved" && (
          <div className="mb-6">
            <Notice tone="success">{state.message}</Notice>
          </div>
        )}
      </div>
      <div className="grid gap-6">
        <TextField
          id="name"
          label="Name"
          required
          maxLength={100}
          defaultValue={values.name}
          error={errors.name}
          hint="What the key is for, e.g. “Production backend” or “CI”."
          autoComplete="off"
        />

        <fieldset className="grid gap-2" aria-describedby={errors.allowedModels ? "models-error" : "models-hint"}>
          <legend className="text-sm font-medium text-slate-800">Models this key may use</legend>
          <p id="models-hint" className="text-xs text-slate-500">
            Leave all unchecked to allow every model, including ones added later.
          </p>
          <div className="grid gap-x-4 gap-y-1.5 rounded-md border border-slate-200 p-3 sm:grid-cols-2 lg:grid-cols-3">
            {models.map((model) => (
              <label key={model.id} className="flex items-center gap-2 text-sm text-slate-800">
                <input
                  type="checkbox"
                  name="allowedModels"
                  value={model.id}
                  defaultChecked={values.allowedModels.includes(model.id)}
                  className="size-4 rounded border-slate-300 text-indigo-600"
                />
                <span>
                  {model.displayName} <span className="text-xs text-slate-500">{model.id}</span>
                </span>
              </label>
            ))}
          </div>
          {errors.allowedModels && (
            <p id="models-error" role="alert" className="text-xs text-red-700">
              {errors.allowedModels}
            </p>
          )}
        </fieldset>

        <div className="grid gap-4 sm:grid-cols-3">
          <TextField
            id="rpmLimit"
            label="Requests per minute"
            inputMode="numeric"
            placeholder="No limit"
            defaultValue={values.rpmLimit}
            error={errors.rpmLimit}
          />
          <TextField
            id="tpmLimit"
            label="Tokens per minute"
            inputMode="numeric"
            placeholder="No limit"
            defaultValue={values.tpmLimit}
            error={errors.tpmLimit}
          />
          <TextField
            id="maxConcurrency"
            label="Concurrent requests"
            inputMode="numeric"
            placeholder="No limit"
            defaultValue={values.maxConcurrency}
            error={errors.maxConcurrency}
          />
        </div>

        <div className="grid gap-4 sm:grid-cols-3">
          <Field
            id="spendLimitUsd"
            label="Spend cap (USD)"
            error={errors.spendLimitUsd}
            hint="Requests that would go past it are refused."
          >
            <div className="relative">
              <span className="pointer-events-none absolute inset-y-0 left-3 flex items-center text-sm text-slate-500">
                $
              </span>
              <input
                id="spendLimitUsd"
                name="spendLimitUsd"
                inputMode="decimal"
                placeholder="No cap"
                defaultValue={values.spendLimitUsd}
                aria-invalid={errors.spendLimitUsd ? true : undefined}
                aria-describedby={errors.spendLimitUsd ? "spendLimitUsd-error" : "spendLimitUsd-hint"}
                className={`${INPUT_CLASS} pl-7`}
              />
            </div>
          </Field>
          <SelectField
            id="spendLimitPeriod"
            label="Cap period"
            defaultValue={values.spendLimitPeriod}
            error={errors.spendLimitPeriod}
            hint="Periodic caps start afresh at 00:00 UTC (weeks on Monday)."
          >
            <option value="TOTAL">Total (all time)</option>
            <option value="DAILY">Per day</option>
            <option value="WEEKLY">Per week</option>
            <option value="MONTHLY">Per month</option>
          </SelectField>
          <TextField
            id="expiresOn"
            label="Expires after"
            type="date"
            min={mode === "create" ? today : undefined}
            defaultValue={values.expiresOn}
            error={errors.expiresOn}
            hint="Optional. The key works through this date (UTC)."
          />
        </div>

        <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-5">
          <button type="submit" className={buttonClass("primary")} disabled={pending} aria-disabled={pending}>
            {pending ? (mode === "create" ? "Creating…" : "Saving…") : mode === "create" ? "Create key" : "Save limits"}
          </button>
          <Link href="/dashboard/keys" className={buttonClass("ghost")}>
            {mode === "create" ? "Cancel" : "Back to keys"}
          </Link>
        </div>
      </div>
    </form>
  );
}

function CreatedKey({ state }: { state: Extract<KeyFormState, { status: "created" }> }) {
  return (
    <div className="grid gap-4" data-testid="created-key">
      <div role="status" aria-live="polite" className="grid gap-1">
        <p className="text-base font-semibold text-slate-900">Key “{state.name}” created</p>
        <p className="text-sm text-amber-800">
          <strong>Copy it now: this is the only time it is shown.</strong> TokenFlow keeps only a fingerprint of it, so
          nobody (us included) can show it again. If you lose it, revoke it and create another.
        </p>
      </div>
      <div className="grid gap-2">
        <label htmlFor="new-key" className="text-sm font-medium text-slate-800">
          Your new API key
        </label>
        <div className="flex flex-col gap-2 sm:flex-row">
          <input
            id="new-key"
            readOnly
            value={state.key}
            onFocus={(e) => e.currentTarget.select()}
            className={`${INPUT_CLASS} font-mono`}
            data-testid="new-key-value"
          />
          <CopyButton value={state.key} label="Copy key" />
        </div>
        <p className="text-xs text-slate-500">
          In lists it appears as <span className="font-mono">{state.partialKey}</span>.
        </p>
      </div>
      <div className="flex flex-wrap gap-3">
        <Link href="/dashboard/keys" className={buttonClass("primary")}>
          I have copied it — back to keys
        </Link>
        <Link href="/dashboard/quick-start" className={buttonClass("secondary")}>
          Quick start
        </Link>
      </div>
    </div>
  );
}
