"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiRequestError, apiRequest, withoutFieldPrefix } from "@/components/api-request";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { SelectField, TextField } from "@/components/ui/field";
import type { ModelJson } from "@/lib/admin/models";

// Edits one model through PATCH /api/admin/models/{id}, sending only what changed. Prices are USD
// per 1M tokens as decimal strings (never parsed into floats here: the API validates them).

type Text = "displayName" | "provider" | "inputPriceUsd" | "outputPriceUsd" | NullablePrice;
/** Empty = billed at the input price. */
type NullablePrice = "cachedInputPriceUsd" | "cacheWriteInputPriceUsd";
const NULLABLE_PRICES: NullablePrice[] = ["cachedInputPriceUsd", "cacheWriteInputPriceUsd"];
type Count = "contextWindow" | "maxOutputTokens" | "defaultMaxOutputTokens" | "qualityTier" | "sortOrder";
type Flag = "supportsTools" | "supportsVision" | "supportsJson" | "supportsReasoning" | "enabled";

interface Draft {
  displayName: string;
  provider: string;
  inputPriceUsd: string;
  outputPriceUsd: string;
  cachedInputPriceUsd: string; // "" = billed at the input price
  cacheWriteInputPriceUsd: string; // likewise
  contextWindow: string;
  maxOutputTokens: string;
  defaultMaxOutputTokens: string;
  qualityTier: string;
  sortOrder: string;
  supportsTools: boolean;
  supportsVision: boolean;
  supportsJson: boolean;
  supportsReasoning: boolean;
  enabled: boolean;
}

function draftOf(model: ModelJson): Draft {
  return {
    displayName: model.displayName,
    provider: model.provider,
    inputPriceUsd: model.inputPriceUsd,
    outputPriceUsd: model.outputPriceUsd,
    cachedInputPriceUsd: model.cachedInputPriceUsd ?? "",
    cacheWriteInputPriceUsd: model.cacheWriteInputPriceUsd ?? "",
    contextWindow: String(model.contextWindow),
    maxOutputTokens: String(model.maxOutputTokens),
    defaultMaxOutputTokens: String(model.defaultMaxOutputTokens),
    qualityTier: String(model.qualityTier),
    sortOrder: String(model.sortOrder),
    supportsTools: model.supportsTools,
    supportsVision: model.supportsVision,
    supportsJson: model.supportsJson,
    supportsReasoning: model.supportsReasoning,
    enabled: model.enabled,
  };
}

const COUNTS: Count[] = ["contextWindow", "maxOutputTokens", "defaultMaxOutputTokens", "qualityTier", "sortOrder"];
const TEXTS: Text[] = ["displayName", "provider", "inputPriceUsd", "outputPriceUsd"];
const FLAGS: Array<[Flag, string]> = [
  ["supportsTools", "Tools (function calling)"],
  ["supportsVision", "Vision (image input)"],
  ["supportsJson", "JSON / structured output"],
  ["supportsReasoning", "Reasoning"],
];

/** The changed fields as the API expects them; whole numbers stay strings if malformed (the API names them). */
export function modelPatch(saved: Draft, draft: Draft): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of TEXTS) if (draft[key].trim() !== saved[key]) patch[key] = draft[key].trim().replace(/^\$/, "");
  for (const key of NULLABLE_PRICES) {
    if (draft[key].trim() !== saved[key]) patch[key] = draft[key].trim() === "" ? null : draft[key].trim();
  }
  for (const key of COUNTS) {
    if (draft[key].trim() === saved[key]) continue;
    const value = draft[key].trim();
    patch[key] = /^-?\d{1,10}$/.test(value) ? Number(value) : value;
  }
  for (const [key] of FLAGS) if (draft[key] !== saved[key]) patch[key] = draft[key];
  if (draft.enabled !== saved.enabled) patch.enabled = draft.enabled;
  return patch;
}

export function ModelForm({ model }: { model: ModelJson }) {
  const router = useRouter();
  const [saved, setSaved] = useState(() => draftOf(model));
  const [draft, setDraft] = useState(saved);
  const [error, setError] = useState<{ message: string; field: string | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const patch = modelPatch(saved, draft);
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
    setNotice(null);
    try {
      const updated = await apiRequest<ModelJson>("PATCH", `/api/admin/models/${encodeURIComponent(model.id)}`, patch);
      const next = draftOf(updated);
      setSaved(next);
      setDraft(next);
      setNotice(
        "inputPriceUsd" in patch || "outputPriceUsd" in patch || NULLABLE_PRICES.some((key) => key in patch)
          ? "Saved. The next request is billed at the new price."
          : "Saved.",
      );
      router.refresh();
    } catch (err) {
      const e = err as ApiRequestError;
      setError({ message: e.message, field: e.field ?? null });
    } finally {
      setPending(false);
    }
  }

  const text = (key: Text | Count, label: string, hint?: string, inputMode?: "decimal" | "numeric") => (
    <TextField
      id={`model-${key}`}
      label={label}
      hint={hint}
      value={draft[key]}
      onChange={(e) => set(key, e.target.value)}
      inputMode={inputMode}
      autoComplete="off"
      error={fieldError(key)}
    />
  );

  return (
    <form onSubmit={submit} className="grid gap-6" noValidate>
      <fieldset className="grid items-start gap-4 sm:grid-cols-2">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Name</legend>
        {text("displayName", "Display name")}
        {text("provider", "Provider", "Shown to tenants, e.g. DeepSeek")}
      </fieldset>
      <fieldset className="grid items-start gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Prices (USD per 1M tokens)</legend>
        {text("inputPriceUsd", "Input", "e.g. 0.27", "decimal")}
        {text("outputPriceUsd", "Output", "e.g. 1.10", "decimal")}
        {text("cachedInputPriceUsd", "Cached input", "Empty: billed at the input price", "decimal")}
        {text("cacheWriteInputPriceUsd", "Cache write", "Prompt-cache writes; empty: the input price", "decimal")}
      </fieldset>
      <fieldset className="grid items-start gap-4 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Limits (tokens)</legend>
        {text("contextWindow", "Context window", undefined, "numeric")}
        {text("maxOutputTokens", "Maximum output", "The most a request may ask for", "numeric")}
        {text("defaultMaxOutputTokens", "Default output cap", "Used (and held) when a request names none", "numeric")}
      </fieldset>
      <fieldset className="grid items-start gap-4 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-semibold text-slate-900">Routing</legend>
        <SelectField
          id="model-qualityTier"
          label="Quality tier"
          hint='Model "auto" prefers higher tiers for harder prompts'
          value={draft.qualityTier}
          onChange={(e) => set("qualityTier", e.target.value)}
          error={fieldError("qualityTier")}
        >
          {["1", "2", "3", "4", "5"].map((tier) => (
            <option key={tier} value={tier}>
              {tier}
              {tier === "1" ? " (basic)" : tier === "5" ? " (best)" : ""}
            </option>
          ))}
        </SelectField>
        {text("sortOrder", "Sort order", "Lower comes first in lists", "numeric")}
        <div className="grid content-start gap-2 sm:col-span-3">
          <p className="text-sm font-medium text-slate-800">Capabilities</p>
          <div className="flex flex-wrap gap-x-6 gap-y-2">
            {FLAGS.map(([key, label]) => (
              <label key={key} className="flex items-center gap-2 text-sm text-slate-700">
                <input
                  type="checkbox"
                  checked={draft[key]}
                  onChange={(e) => set(key, e.target.checked)}
                  className="h-4 w-4 rounded border-slate-300"
                />
                {label}
              </label>
            ))}
          </div>
        </div>
      </fieldset>
      <div className="grid gap-1">
        <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => set("enabled", e.target.checked)}
            aria-describedby="model-enabled-hint"
            className="h-4 w-4 rounded border-slate-300"
          />
          Enabled
        </label>
        <p id="model-enabled-hint" className="text-xs text-slate-500">
          Enabled models are listed on /v1/models and can be requested. A model needs a price to be enabled.
        </p>
      </div>
      {error && (error.field === null || !document.getElementById(`model-${error.field}`)) && (
        <Notice tone="error">{error.message}</Notice>
      )}
      {notice && <Notice tone="success">{notice}</Notice>}
      <div className="flex flex-wrap gap-3">
        <Button type="submit" disabled={pending || !isDirty}>
          {pending ? "Saving…" : "Save changes"}
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
