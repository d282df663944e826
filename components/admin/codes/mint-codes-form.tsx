"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiRequestError, apiRequest, withoutFieldPrefix } from "@/components/api-request";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";
import { CopyButton } from "@/components/ui/copy-button";

interface MintedBatch {
  batchId: string;
  codes: string[];
  amountUsd: string;
  expiresAt: string | null;
}

/** The batch's full codes as CSV, built in the browser: the server keeps no copy of them. */
export function batchCsv(batch: MintedBatch): string {
  const lines = ["code,amountUsd,expiresAt,batchId"];
  for (const code of batch.codes) lines.push([code, batch.amountUsd, batch.expiresAt ?? "", batch.batchId].join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function downloadCsv(batch: MintedBatch) {
  const url = URL.createObjectURL(new Blob([batchCsv(batch)], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `redemption-codes-${batch.batchId.slice(0, 8)}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function MintCodesForm() {
  const router = useRouter();
  const [amountUsd, setAmountUsd] = useState("10.00");
  const [count, setCount] = useState("10");
  const [expiresOn, setExpiresOn] = useState(""); // a date; the code expires at the end of that day (UTC)
  const [error, setError] = useState<{ message: string; field: string | null } | null>(null);
  const [pending, setPending] = useState(false);
  const [batch, setBatch] = useState<MintedBatch | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const minted = await apiRequest<MintedBatch>("POST", "/api/admin/redemption-codes", {
        amountUsd: amountUsd.trim().replace(/^\$/, ""),
        count: /^\d{1,6}$/.test(count.trim()) ? Number(count.trim()) : count,
        ...(expiresOn ? { expiresAt: `${expiresOn}T23:59:59Z` } : {}),
      });
      setBatch(minted);
      router.refresh();
    } catch (err) {
      const e = err as ApiRequestError;
      setError({ message: e.message, field: e.field ?? null });
    } finally {
      setPending(false);
    }
  }
  const fieldError = (field: string) => (error?.field === field ? withoutFieldPrefix(error.message, field) : null);

  if (batch) {
    const all = batch.codes.join("\n");
    return (
      <div className="grid gap-4" data-testid="minted-codes">
        <Notice tone="info">
          {batch.codes.length === 1 ? "1 code" : `${batch.codes.length} codes`} of ${batch.amountUsd}
          {batch.expiresAt ? `, valid until ${batch.expiresAt.slice(0, 10)}` : ", with no expiry"}. Copy or download
          them now: they are shown only once and cannot be shown again.
        </Notice>
        <ul
          aria-label="New codes"
          className="grid max-h-72 gap-1 overflow-y-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-sm sm:grid-cols-2"
        >
          {batch.codes.map((code) => (
            <li key={code} data-testid="minted-code" className="break-all">
              {code}
            </li>
          ))}
        </ul>
        <div className="flex flex-wrap gap-3">
          <Button onClick={() => downloadCsv(batch)}>Download CSV</Button>
          <CopyButton value={all} label="Copy all" />
          <Button variant="ghost" onClick={() => setBatch(null)}>
            Done, make more codes
          </Button>
        </div>
      </div>
    );
  }

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate>
      <div className="grid items-start gap-4 sm:grid-cols-3">
        <TextField
          id="code-amount"
          label="Amount per code (USD)"
          inputMode="decimal"
          autoComplete="off"
          value={amountUsd}
          onChange={(e) => setAmountUsd(e.target.value)}
          error={fieldError("amountUsd")}
        />
        <TextField
          id="code-count"
          label="Number of codes"
          inputMode="numeric"
          autoComplete="off"
          value={count}
          onChange={(e) => setCount(e.target.value)}
          hint="1 to 1000"
          error={fieldError("count")}
        />
        <TextField
          id="code-expiry"
          label="Expires on (optional)"
          type="date"
          value={expiresOn}
          onChange={(e) => setExpiresOn(e.target.value)}
          hint="Valid until the end of that day (UTC)"
          error={fieldError("expiresAt")}
        />
      </div>
      {error && !["amountUsd", "count", "expiresAt"].includes(error.field ?? "") && (
        <Notice tone="error">{error.message}</Notice>
      )}
      <div>
        <Button type="submit" disabled={pending}>
          {pending ? "Making codes…" : "Make codes"}
        </Button>
      </div>
    </form>
  );
}
