"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { ConfirmButton } from "@/components/ui/confirm-button";
import { TextField } from "@/components/ui/field";
import { apiRequest } from "@/components/api-request";

// The channel page's write actions, each one call to the management API: replace the (write-only)
// API key, take the channel out of rotation or back, delete it.

export function ReplaceKeyForm({ channelId, last4 }: { channelId: string; last4: string | null }) {
  const router = useRouter();
  const [apiKey, setApiKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setDone(null);
    if (!apiKey.trim()) return setError("Enter the new API key.");
    setPending(true);
    try {
      const channel = await apiRequest<{ apiKeyLast4: string | null }>("PATCH", `/api/admin/channels/${channelId}`, {
        apiKey: apiKey.trim(),
      });
      setApiKey("");
      setDone(`Key replaced: it now ends in ${channel.apiKeyLast4 ?? "…"}. Test the channel to check it.`);
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate>
      <p className="text-sm text-slate-700">
        Current key:{" "}
        <span className="font-mono" data-testid="key-last4">
          {last4 ? `••••${last4}` : "none"}
        </span>
        . The key is stored encrypted and never shown; type a new one to replace it.
      </p>
      {done && <Notice tone="success">{done}</Notice>}
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <div className="sm:w-96">
          <TextField
            id="newApiKey"
            label="New API key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            error={error}
          />
        </div>
        <Button type="submit" variant="secondary" disabled={pending} className="sm:mt-7">
          {pending ? "Replacing…" : "Replace key"}
        </Button>
      </div>
    </form>
  );
}

export function EnableToggle({ channelId, enabled, name }: { channelId: string; enabled: boolean; name: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function toggle() {
    setError(null);
    setPending(true);
    try {
      await apiRequest("PATCH", `/api/admin/channels/${channelId}`, { enabled: !enabled });
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <div className="grid gap-3">
      <p className="text-sm text-slate-700">
        {enabled
          ? `“${name}” takes traffic. Disabling it moves its requests to the other channels serving the same models at once.`
          : `“${name}” takes no traffic. Enabling it puts it back in rotation (and clears a rejected-credential state).`}
      </p>
      {error && <Notice tone="error">{error}</Notice>}
      <div>
        <Button variant={enabled ? "secondary" : "primary"} onClick={() => void toggle()} disabled={pending}>
          {pending ? "Saving…" : enabled ? "Disable channel" : "Enable channel"}
        </Button>
      </div>
    </div>
  );
}

export function DeleteChannel({ channelId, name }: { channelId: string; name: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await apiRequest("DELETE", `/api/admin/channels/${channelId}`);
      router.push(`/admin/channels?deleted=${encodeURIComponent(name)}`);
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-3">
      <p className="text-sm text-slate-700">
        Deleting removes the channel and its encrypted key. Past receipts keep their records. This cannot be undone.
      </p>
      {error && <Notice tone="error">{error}</Notice>}
      <div>
        <ConfirmButton label="Delete channel" title={`Delete “${name}”?`} confirmLabel="Delete">
          Requests for its models go to the other channels serving them; if none does, they fail.
        </ConfirmButton>
      </div>
    </form>
  );
}
