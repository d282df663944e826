"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { buttonClass } from "@/components/ui/button";
import { apiRequest } from "@/components/api-request";

interface FulfilmentRun {
  result: string;
  message: string;
}

// Runs the one fulfilment path again for a top-up (POST /api/admin/payments/{id}/fulfill): it asks
// Stripe and credits at most once, so a second press changes nothing. The answer is shown in place
// and, once the page has re-read the data, at the top of the page.
export function RerunFulfilmentButton({
  paymentId,
  organizationName,
}: {
  paymentId: string;
  organizationName: string;
}) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  async function run() {
    setBusy(true);
    setOutcome(null);
    try {
      const answer = await apiRequest<FulfilmentRun>("POST", `/api/admin/payments/${paymentId}/fulfill`, {});
      setOutcome({ ok: answer.result === "credited" || answer.result === "already_credited", text: answer.message });
      // The page re-reads everything and says what happened at its top: this row may leave the
      // stuck list, taking this button (and its message) with it.
      const params = new URLSearchParams(window.location.search);
      params.set("rerun", paymentId);
      params.set("result", answer.result);
      router.replace(`${window.location.pathname}?${params}`, { scroll: false });
    } catch (err) {
      setOutcome({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="grid justify-items-start gap-1">
      <button
        type="button"
        className={buttonClass("secondary", "px-2.5 py-1 text-xs")}
        onClick={run}
        disabled={busy}
        aria-label={`Re-run fulfilment of top-up ${paymentId} (${organizationName})`}
      >
        {busy ? "Asking Stripe…" : "Re-run fulfilment"}
      </button>
      {outcome && (
        <p
          role={outcome.ok ? "status" : "alert"}
          className={`max-w-56 text-xs ${outcome.ok ? "text-emerald-700" : "text-red-700"}`}
          data-testid="fulfilment-result"
        >
          {outcome.text}
        </p>
      )}
    </div>
  );
}
