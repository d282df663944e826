"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { apiRequest } from "@/components/api-request";

interface Settings {
  enabled: boolean;
  thresholdUsd: string | null;
  amountUsd: string | null;
  maxPerDay: number;
  card: string | null;
}

/** The owner's auto top-up: the saved card, and when and how much to charge it. */
export function AutoTopUpForm({ organizationId, initial }: { organizationId: string; initial: Settings }) {
  const [enabled, setEnabled] = useState(initial.enabled);
  const [threshold, setThreshold] = useState(initial.thresholdUsd ?? "5.00");
  const [amount, setAmount] = useState(initial.amountUsd ?? "25.00");
  const [maxPerDay, setMaxPerDay] = useState(String(initial.maxPerDay));
  const [status, setStatus] = useState<{ ok?: string; error?: string }>({});
  const [pending, setPending] = useState<"save" | "card" | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    setStatus({});
    setPending("save");
    try {
      const saved = await apiRequest<Settings>("PUT", "/api/billing/auto-top-up", {
        organizationId,
        enabled,
        thresholdUsd: threshold.trim().replace(/^\$/, ""),
        amountUsd: amount.trim().replace(/^\$/, ""),
        maxPerDay: Number(maxPerDay),
      });
      setStatus({
        ok: saved.enabled
          ? `Auto top-up is on: $${saved.amountUsd} when the balance falls below $${saved.thresholdUsd}.`
          : "Auto top-up is off.",
      });
    } catch (err) {
      setStatus({ error: (err as Error).message });
    } finally {
      setPending(null);
    }
  }

  async function saveCard() {
    setStatus({});
    setPending("card");
    try {
      const { url } = await apiRequest<{ url: string }>("POST", "/api/billing/payment-method", { organizationId });
      window.location.assign(url);
    } catch (err) {
      setStatus({ error: (err as Error).message });
      setPending(null);
    }
  }

  return (
    <div className="grid gap-5">
      <div className="flex flex-wrap items-center justify-between gap-3 rounded-md bg-slate-50 px-4 py-3">
        <p className="text-sm text-slate-700">
          Card: <span className="font-medium text-slate-900">{initial.card ?? "none saved yet"}</span>
        </p>
        <Button variant="secondary" onClick={saveCard} disabled={pending !== null}>
          {pending === "card" ? "Opening Stripe…" : initial.card ? "Replace card" : "Save a card"}
        </Button>
      </div>
      <form onSubmit={save} className="grid gap-4" noValidate>
        <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
          <input
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled(e.target.checked)}
            className="h-4 w-4 rounded border-slate-300"
          />
          Top up automatically
        </label>
        <div className="grid gap-4 sm:grid-cols-3">
          <TextField
            id="auto-threshold"
            label="When the balance falls below"
            inputMode="decimal"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            hint="US dollars"
          />
          <TextField
            id="auto-amount"
            label="Add this amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            hint="US dollars"
          />
          <TextField
            id="auto-max"
            label="At most per day"
            type="number"
            min={1}
            max={20}
            value={maxPerDay}
            onChange={(e) => setMaxPerDay(e.target.value)}
            hint="top-ups"
          />
        </div>
        <div>
          <Button type="submit" disabled={pending !== null}>
            {pending === "save" ? "Saving…" : "Save auto top-up"}
          </Button>
        </div>
        <div aria-live="polite" data-testid="auto-top-up-status">
          {status.ok && <p className="text-sm text-emerald-700">{status.ok}</p>}
          {status.error && (
            <p role="alert" className="text-sm text-red-700">
              {status.error}
            </p>
          )}
        </div>
      </form>
    </div>
  );
}
