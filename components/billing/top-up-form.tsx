"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { apiRequest } from "@/components/api-request";

/**
 * Preset amounts and a custom one; "Top up" asks /api/billing/checkout for a Stripe Checkout
 * Session and goes there. Owners may keep the card for auto top-up.
 */
export function TopUpForm({
  organizationId,
  presets,
  minUsd,
  maxUsd,
  canSaveCard,
}: {
  organizationId: string;
  presets: string[];
  minUsd: string;
  maxUsd: string;
  canSaveCard: boolean;
}) {
  const [amount, setAmount] = useState(presets[1] ?? presets[0] ?? "");
  const [saveCard, setSaveCard] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setPending(true);
    try {
      const session = await apiRequest<{ url: string }>("POST", "/api/billing/checkout", {
        organizationId,
        amountUsd: amount.trim().replace(/^\$/, ""),
        ...(saveCard ? { saveCard: true } : {}),
      });
      window.location.assign(session.url);
    } catch (err) {
      setError((err as Error).message.replace(/^amountUsd: /, "The amount "));
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate>
      <fieldset className="grid gap-2">
        <legend className="text-sm font-medium text-slate-800">Choose an amount</legend>
        <div className="flex flex-wrap gap-2">
          {presets.map((preset) => (
            <button
              key={preset}
              type="button"
              onClick={() => setAmount(preset)}
              aria-pressed={amount === preset}
              className={`rounded-md border px-4 py-2 text-sm font-medium tabular-nums ${
                amount === preset
                  ? "border-indigo-600 bg-indigo-50 text-indigo-700"
                  : "border-slate-300 bg-white text-slate-800 hover:bg-slate-50"
              }`}
            >
              ${preset}
            </button>
          ))}
        </div>
      </fieldset>
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <div className="sm:w-64">
          <TextField
            id="amount"
            name="amount"
            label="Amount"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            hint={`In US dollars, from ${minUsd} to ${maxUsd}.`}
            error={error}
          />
        </div>
        <Button type="submit" disabled={pending} className="sm:mt-7 sm:min-w-32">
          {pending ? "Opening checkout…" : "Top up"}
        </Button>
      </div>
      {canSaveCard && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={saveCard}
            onChange={(e) => setSaveCard(e.target.checked)}
            className="h-4 w-4 rounded border-slate-300"
          />
          Save this card for auto top-up
        </label>
      )}
      <p className="text-xs text-slate-500">
        You pay on Stripe&apos;s checkout page; the credit appears here as soon as Stripe confirms the payment.
      </p>
    </form>
  );
}
