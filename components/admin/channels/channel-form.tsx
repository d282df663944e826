"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { SelectField, TextField } from "@/components/ui/field";
import { ApiRequestError, apiRequest } from "@/components/api-request";
import { PROVIDER_IDS, PROVIDERS, type ProviderId } from "@/lib/gateway/providers/list";

// Create (from a provider preset) or edit a channel through the management API. The API key is
// write-only: it is typed here once on creation and never sent back by the server; the channel's
// page replaces it with its own form.

export interface PresetOption {
  id: string;
  name: string;
  provider: Exclude<ProviderId, "demo">;
  baseUrl: string;
  models: readonly string[];
  modelMapping: Readonly<Record<string, string>>;
  outputCapField: "max_tokens" | "max_completion_tokens";
}

export interface ModelOption {
  id: string;
  displayName: string;
  provider: string;
}

export interface ChannelFormValues {
  name: string;
  provider: ProviderId;
  baseUrl: string;
  models: string[];
  modelMapping: Record<string, string>;
  priority: number;
  weight: number;
  outputCapField: "max_tokens" | "max_completion_tokens";
}

const EMPTY: ChannelFormValues = {
  name: "",
  provider: "openai",
  baseUrl: "",
  models: [],
  modelMapping: {},
  priority: 0,
  weight: 1,
  outputCapField: "max_tokens",
};

type Props =
  | { mode: "create"; presets: PresetOption[]; models: ModelOption[] }
  | { mode: "edit"; channelId: string; initial: ChannelFormValues; models: ModelOption[] };

export function ChannelForm(props: Props) {
  const router = useRouter();
  const [values, setValues] = useState<ChannelFormValues>(props.mode === "edit" ? props.initial : EMPTY);
  const [presetId, setPresetId] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [enabled, setEnabled] = useState(true);
  const [priorityText, setPriorityText] = useState(String(values.priority));
  const [weightText, setWeightText] = useState(String(values.weight));
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const [pending, setPending] = useState(false);

  const set = <K extends keyof ChannelFormValues>(key: K, value: ChannelFormValues[K]) => {
    setSaved(false);
    setValues((v) => ({ ...v, [key]: value }));
  };

  function applyPreset(id: string) {
    setPresetId(id);
    if (props.mode !== "create") return;
    const preset = props.presets.find((p) => p.id === id);
    if (!preset) return;
    setValues((v) => ({
      ...v,
      name: preset.name,
      provider: preset.provider,
      baseUrl: preset.baseUrl,
      models: [...preset.models],
      modelMapping: { ...preset.modelMapping },
      outputCapField: preset.outputCapField,
    }));
  }

  function toggleModel(id: string, on: boolean) {
    set("models", on ? [...values.models, id] : values.models.filter((m) => m !== id));
  }

  function fieldError(field: string): string | null {
    return error?.field === field ? error.message : null;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    const priority = Number(priorityText);
    const weight = Number(weightText);
    if (!Number.isInteger(priority))
      return setError({ field: "priority", message: "Priority must be a whole number." });
    if (!Number.isInteger(weight) || weight < 0)
      return setError({ field: "weight", message: "Weight must be a whole number, 0 or more." });
    if (values.models.length === 0) return setError({ field: "models", message: "Choose at least one model." });
    const isDemo = values.provider === "demo";
    // Only the chosen models' mappings, and only where the upstream's name differs from ours.
    const modelMapping = Object.fromEntries(
      values.models
        .map((id) => [id, (values.modelMapping[id] ?? "").trim()] as const)
        .filter(([id, upstream]) => upstream !== "" && upstream !== id),
    );
    const body: Record<string, unknown> = {
      name: values.name.trim(),
      provider: values.provider,
      ...(isDemo ? {} : { baseUrl: values.baseUrl.trim() }),
      models: values.models,
      modelMapping,
      priority,
      weight,
      outputCapField: values.outputCapField,
    };
    setPending(true);
    try {
      if (props.mode === "create") {
        const created = await apiRequest<{ id: string }>("POST", "/api/admin/channels", {
          ...body,
          ...(isDemo ? {} : { apiKey: apiKey.trim() }),
          ...(presetId ? { preset: presetId } : {}),
          enabled,
        });
        setApiKey("");
        router.push(`/admin/channels/${created.id}?created=1`);
        return;
      }
      await apiRequest("PATCH", `/api/admin/channels/${props.channelId}`, body);
      setSaved(true);
      router.refresh();
    } catch (err) {
      setError({
        message: (err as Error).message,
        field: err instanceof ApiRequestError ? (err.field ?? undefined) : undefined,
      });
    } finally {
      setPending(false);
    }
  }

  const isDemo = values.provider === "demo";
  return (
    <form onSubmit={submit} className="grid gap-5" noValidate>
      {error && <Notice tone="error">{error.message}</Notice>}
      {saved && <Notice tone="success">Saved. The gateway routes with the new settings from the next request.</Notice>}
      {props.mode === "create" && (
        <SelectField
          id="preset"
          label="Provider preset"
          value={presetId}
          onChange={(e) => applyPreset(e.target.value)}
          hint="Fills in the provider, base URL, models and model names; you can change any of them."
        >
          <option value="">Custom (fill in yourself)</option>
          {props.presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
      )}
      <div className="grid gap-5 sm:grid-cols-2">
        <TextField
          id="name"
          label="Name"
          value={values.name}
          onChange={(e) => set("name", e.target.value)}
          required
          maxLength={100}
          autoComplete="off"
          error={fieldError("name")}
          hint="Shown to admins only, e.g. “DeepSeek main account”."
        />
        <SelectField
          id="provider"
          label="Provider"
          value={values.provider}
          onChange={(e) => set("provider", e.target.value as ProviderId)}
          error={fieldError("provider")}
          hint="The wire format: OpenAI-compatible covers DeepSeek, Moonshot, Zhipu, DashScope and OpenAI; Anthropic is its Messages API (x-api-key)."
        >
          {PROVIDER_IDS.map((id) => (
            <option key={id} value={id}>
              {PROVIDERS[id].formLabel}
            </option>
          ))}
        </SelectField>
      </div>
      {!isDemo && (
        <TextField
          id="baseUrl"
          label="Base URL"
          type="url"
          inputMode="url"
          value={values.baseUrl}
          onChange={(e) => set("baseUrl", e.target.value)}
          required
          autoComplete="off"
          placeholder="https://api.example.com/v1"
          error={fieldError("baseUrl")}
          hint="Up to and including the version, e.g. https://api.deepseek.com/v1. Private and loopback addresses are refused unless allowed by TOKENFLOW_ALLOWED_UPSTREAMS."
        />
      )}
      {props.mode === "create" && !isDemo && (
        <TextField
          id="apiKey"
          label="API key"
          type="password"
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          error={fieldError("apiKey")}
          hint="Stored encrypted and never shown again: only its last four characters are."
        />
      )}
      <fieldset className="grid gap-2" aria-describedby="models-hint">
        <legend className="text-sm font-medium text-slate-800">Models</legend>
        <p id="models-hint" className="text-xs text-slate-500">
          The public models this channel serves. Where the upstream calls a model by another name, give that name.
        </p>
        {fieldError("models") && (
          <p role="alert" className="text-xs text-red-700">
            {fieldError("models")}
          </p>
        )}
        {fieldError("modelMapping") && (
          <p role="alert" className="text-xs text-red-700">
            {fieldError("modelMapping")}
          </p>
        )}
        <ul className="grid gap-2">
          {props.models.map((model) => {
            const checked = values.models.includes(model.id);
            return (
              <li
                key={model.id}
                className="grid gap-2 rounded-md border border-slate-200 p-3 sm:grid-cols-[minmax(0,1fr)_minmax(0,1fr)] sm:items-center"
              >
                <label className="flex items-center gap-2 text-sm text-slate-800">
                  <input
                    type="checkbox"
                    checked={checked}
                    onChange={(e) => toggleModel(model.id, e.target.checked)}
                    className="h-4 w-4 rounded border-slate-300"
                  />
                  <span>
                    <span className="font-mono">{model.id}</span>{" "}
                    <span className="text-slate-500">
                      ({model.displayName}, {model.provider})
                    </span>
                  </span>
                </label>
                {checked && !isDemo && (
                  <div className="grid gap-1">
                    <label htmlFor={`upstream-${model.id}`} className="text-xs text-slate-600">
                      Upstream name for {model.id}
                    </label>
                    <input
                      id={`upstream-${model.id}`}
                      value={values.modelMapping[model.id] ?? ""}
                      onChange={(e) => set("modelMapping", { ...values.modelMapping, [model.id]: e.target.value })}
                      placeholder={model.id}
                      autoComplete="off"
                      spellCheck={false}
                      className="block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 font-mono text-sm text-slate-900 placeholder:text-slate-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500/30"
                    />
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      </fieldset>
      <div className="grid gap-5 sm:grid-cols-3">
        <TextField
          id="priority"
          label="Priority"
          inputMode="numeric"
          value={priorityText}
          onChange={(e) => {
            setSaved(false);
            setPriorityText(e.target.value);
          }}
          error={fieldError("priority")}
          hint="Higher tiers are tried first."
        />
        <TextField
          id="weight"
          label="Weight"
          inputMode="numeric"
          value={weightText}
          onChange={(e) => {
            setSaved(false);
            setWeightText(e.target.value);
          }}
          error={fieldError("weight")}
          hint="Share of traffic within its tier."
        />
        <SelectField
          id="outputCapField"
          label="Output cap field"
          value={values.outputCapField}
          onChange={(e) => set("outputCapField", e.target.value as ChannelFormValues["outputCapField"])}
          hint="The field this upstream honours."
        >
          <option value="max_tokens">max_tokens</option>
          <option value="max_completion_tokens">max_completion_tokens</option>
        </SelectField>
      </div>
      {props.mode === "create" && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled(e.target.checked)}
            className="h-4 w-4 rounded border-slate-300"
          />
          Enabled: take traffic as soon as it is created
        </label>
      )}
      <div>
        <Button type="submit" disabled={pending}>
          {props.mode === "create" ? (pending ? "Creating…" : "Create channel") : pending ? "Saving…" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}
