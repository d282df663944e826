"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiRequestError, apiRequest, withoutFieldPrefix } from "@/components/api-request";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";
import type { PlatformSettingsJson } from "@/lib/admin/settings";

// PUT /api/admin/settings with the fields that changed; the API validates them as a whole
// (e.g. the top-up minimum not above the maximum) and names the field it refuses.

type Amount = "signupCreditUsd" | "topUpMinUsd" | "topUpMaxUsd" | "defaultLowBalanceThresholdUsd";

interface Draft {
  signupOpen: boolean;
  signupEmailVerification: boolean;
  signupCreditUsd: string;
  topUpMinUsd: string;
  topUpMaxUsd: string;
  defaultLowBalanceThresholdUsd: string; // "" = none
}

const draftOf = (s: PlatformSettingsJson): Draft => ({
  ...s,
  defaultLowBalanceThresholdUsd: s.defaultLowBalanceThresholdUsd ?? "",
});
const clean = (usd: string) => usd.trim().replace(/^\$/, "");

export function SettingsForm({ initial }: { initial: PlatformSettingsJson }) {
  const router = useRouter();
  const [saved, setSaved] = useState(() => draftOf(initial));
  const [draft, setDraft] = useState(saved);
  const [error, setError] = useState<{ message: string; field: string | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const patch: Record<string, unknown> = {};
  if (draft.signupOpen !== saved.signupOpen) patch.signupOpen = draft.signupOpen;
  if (draft.signupEmailVerification !== saved.signupEmailVerification)
    patch.signupEmailVerification = draft.signupEmailVerification;
  for (const key of ["signupCreditUsd", "topUpMinUsd", "topUpMaxUsd"] as const)
    if (clean(draft[key]) !== saved[key]) patch[key] = clean(draft[key]);
  if (clean(draft.defaultLowBalanceThresholdUsd) !== saved.defaultLowBalanceThresholdUsd)
    patch.defaultLowBalanceThresholdUsd = clean(draft.defaultLowBalanceThresholdUsd) || null;
  const isDirty = Object.keys(patch).length > 0;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setNotice(null);
  };
  const fieldError = (field: string) => (error?.field === field ? withoutFieldPrefix(error.message, field) : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!isDirty) return;
    setPending(true);
    setError(null);
    try {
      const next = draftOf(await apiRequest<PlatformSettingsJson>("PUT", "/api/admin/settings", patch));
      setSaved(next);
      setDraft(next);
      setNotice("Settings saved.");
      router.refresh();
    } catch (err) {
      const e = err as ApiRequestError;
      setError({ message: e.message, field: e.field ?? null });
    } finally {
      setPending(false);
    }
  }

  const amount = (key: Amount, label: string, hint: string) => (
    <TextField
      id={`setting-${key}`}
      label={label}
      hint={hint}
      inputMode="decimal"
      autoComplete="off"
      value={draft[key]}
      onChange={(e) => set(key, e.target.value)}
      error={fieldError(key)}
    />
  );
  const flag = (key: "signupOpen" | "signupEmailVerification", label: string, hint: string) => (
    <div className="grid gap-1">
      <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
        <input
          type="checkbox"
          checked={draft[key]}
          onChange={(e) => set(key, e.target.checked)}
          aria-describedby={`setting-${key}-hint`}
          className="h-4 w-4 rounded border-slate-300"
        />
        {label}
      </label>
      <p id={`setting-${key}-hint`} className="pl-6 text-xs text-slate-500">
        {hint}
      </p>
    </div>
  );
  const knownFields = ["signupCreditUsd", "topUpMinUsd", "topUpMaxUsd", "defaultLowBalanceThresholdUsd"];

  return (
    <form onSubmit={submit} className="grid gap-8" noValidate>
      <fieldset className="grid gap-4">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Sign-up</legend>
        {flag(
          "signupOpen",
          "Sign-up open",
          "Anyone may create an account at /signup. When closed, /signup refuses new accounts.",
        )}
        {flag(
          "signupEmailVerification",
          "Require email verification",
          "New accounts confirm their email address before they can sign in.",
        )}
        <div className="sm:max-w-sm">
          {amount("signupCreditUsd", "Starting credit (USD)", "Given to each new account's workspace; 0 for none.")}
        </div>
      </fieldset>
      <fieldset className="grid items-start gap-4 sm:grid-cols-2">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Top-ups</legend>
        {amount("topUpMinUsd", "Smallest top-up (USD)", "Whole cents, e.g. 5.00")}
        {amount("topUpMaxUsd", "Largest top-up (USD)", "Whole cents, at most 999999.99")}
      </fieldset>
      <fieldset className="grid gap-4">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Low-balance alerts</legend>
        <div className="sm:max-w-sm">
          {amount(
            "defaultLowBalanceThresholdUsd",
            "Default alert threshold (USD)",
            "New workspaces email their owners when the balance falls below it. Empty: no alert until an owner sets one.",
          )}
        </div>
      </fieldset>
      {error && !knownFields.includes(error.field ?? "") && <Notice tone="error">{error.message}</Notice>}
      {notice && <Notice tone="success">{notice}</Notice>}
      <div className="flex flex-wrap gap-3">
        <Button type="submit" disabled={pending || !isDirty}>
          {pending ? "Saving…" : "Save settings"}
        </Button>
        <Button
          variant="secondary"
          disabled={pending || !isDirty}
          onClick={() => {
            setDraft(saved);
            setError(null);
          }}
        >
          Discard changes
        </Button>
      </div>
    </form>
  );
}
