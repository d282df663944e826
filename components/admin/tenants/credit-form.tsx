"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { Field, INPUT_CLASS, TextField } from "@/components/ui/field";
import { apiRequest } from "@/components/api-request";

/**
 * A credit adjustment with its reason: a positive amount adds funds, a negative one removes them
 * (never below zero). The note lands in the ledger entry and the audit log.
 */
export function CreditForm({ organizationId }: { organizationId: string }) {
  const router = useRouter();
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  const [result, setResult] = useState<{ tone: "success" | "error"; message: string } | null>(null);
  const [isPending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (isPending) return;
    if (!note.trim()) {
      setResult({ tone: "error", message: "Write why: the note is kept with the ledger entry." });
      return;
    }
    setPending(true);
    setResult(null);
    try {
      const answer = await apiRequest<{ balanceUsd: string }>(
        "POST",
        `/api/admin/organizations/${organizationId}/credits`,
        { amountUsd: amount.trim(), note: note.trim(), reference: crypto.randomUUID() },
      );
      setResult({ tone: "success", message: `Done. The balance is now $${answer.balanceUsd}.` });
      setAmount("");
      setNote("");
      router.refresh();
    } catch (err) {
      setResult({ tone: "error", message: (err as Error).message });
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" aria-busy={isPending}>
      <div className="grid gap-4 sm:grid-cols-[12rem_1fr]">
        <TextField
          id="credit-amount"
          label="Amount (USD)"
          hint="Negative to remove funds, e.g. -5.00"
          inputMode="decimal"
          autoComplete="off"
          required
          pattern="-?[0-9]+(\.[0-9]{1,9})?"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
        <Field id="credit-note" label="Note (required)" hint="Why: a support ticket, a goodwill credit, a correction.">
          <textarea
            id="credit-note"
            name="note"
            required
            maxLength={500}
            rows={2}
            className={INPUT_CLASS}
            aria-describedby="credit-note-hint"
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
        </Field>
      </div>
      {result && <Notice tone={result.tone}>{result.message}</Notice>}
      <div>
        <Button type="submit" disabled={isPending}>
          {isPending ? "Applying…" : "Apply adjustment"}
        </Button>
      </div>
    </form>
  );
}
