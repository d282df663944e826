"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiRequest } from "@/components/api-request";
import { Badge, Notice } from "@/components/ui/card";
import { ConfirmButton } from "@/components/ui/confirm-button";
import type { RedemptionCodeJson, RedemptionCodeStatus } from "@/lib/admin/redemption-codes";

const TONES: Record<RedemptionCodeStatus, "green" | "indigo" | "amber" | "red"> = {
  unused: "green",
  redeemed: "indigo",
  expired: "amber",
  revoked: "red",
};

const LABELS: Record<RedemptionCodeStatus, string> = {
  unused: "Unused",
  redeemed: "Redeemed",
  expired: "Expired",
  revoked: "Revoked",
};

const isRevocable = (code: RedemptionCodeJson) => code.status === "unused" || code.status === "expired";

/** "2026-11-30 14:03 UTC" from an ISO string (the same on server and client, whatever the zone). */
function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—";
}

/** The codes list: status, who redeemed each and when; revoke one, or the selected ones together. */
export function CodesTable({ codes }: { codes: RedemptionCodeJson[] }) {
  const router = useRouter();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<{ tone: "success" | "error"; text: string } | null>(null);
  const revocable = codes.filter(isRevocable);
  const chosen = revocable.filter((code) => selected.has(code.id));

  async function revoke(ids: string[]) {
    setMessage(null);
    try {
      if (ids.length === 1) {
        const code = await apiRequest<RedemptionCodeJson>(
          "POST",
          `/api/admin/redemption-codes/${encodeURIComponent(ids[0])}/revoke`,
        );
        setMessage({ tone: "success", text: `Revoked ${code.partialCode}.` });
      } else {
        const result = await apiRequest<{ revoked: RedemptionCodeJson[]; skipped: number }>(
          "POST",
          "/api/admin/redemption-codes/revoke",
          { ids },
        );
        setMessage({
          tone: "success",
          text: `Revoked ${result.revoked.length} codes${result.skipped ? ` (${result.skipped} were already used or revoked)` : ""}.`,
        });
      }
      setSelected(new Set());
      router.refresh();
    } catch (err) {
      setMessage({ tone: "error", text: (err as Error).message });
    }
  }

  const onSubmit = (ids: string[]) => (event: FormEvent) => {
    event.preventDefault();
    void revoke(ids);
  };

  return (
    <div className="grid">
      {(message || revocable.length > 0) && (
        <div className="flex flex-wrap items-center gap-3 border-b border-slate-100 px-5 py-3">
          {revocable.length > 0 && (
            <form onSubmit={onSubmit(chosen.map((c) => c.id))} className={chosen.length ? "" : "hidden"}>
              <ConfirmButton
                label={`Revoke selected (${chosen.length})`}
                title={`Revoke ${chosen.length} codes?`}
                confirmLabel="Revoke codes"
              >
                They can no longer be redeemed. Codes already redeemed are not affected.
              </ConfirmButton>
            </form>
          )}
          {revocable.length > 0 && chosen.length === 0 && (
            <p className="text-sm text-slate-600">Select unused codes to revoke several at once.</p>
          )}
          {message && (
            <div className="w-full">
              <Notice tone={message.tone}>{message.text}</Notice>
            </div>
          )}
        </div>
      )}
      <div className="relative overflow-x-auto">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-slate-100 text-xs text-slate-500 uppercase">
            <tr>
              <th scope="col" className="w-10 px-5 py-2">
                <input
                  type="checkbox"
                  aria-label="Select all unused codes"
                  className="h-4 w-4 rounded border-slate-300"
                  disabled={revocable.length === 0}
                  checked={revocable.length > 0 && chosen.length === revocable.length}
                  onChange={(e) => setSelected(new Set(e.target.checked ? revocable.map((c) => c.id) : []))}
                />
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Code
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Status
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Amount
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Expires
              </th>
              <th scope="col" className="min-w-52 px-3 py-2 font-medium">
                Redeemed by
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Created
              </th>
              <th scope="col" className="px-5 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {codes.map((code) => (
              <tr key={code.id} data-testid="code-row" data-status={code.status}>
                <td className="px-5 py-3">
                  {isRevocable(code) && (
                    <input
                      type="checkbox"
                      aria-label={`Select ${code.partialCode}`}
                      className="h-4 w-4 rounded border-slate-300"
                      checked={selected.has(code.id)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.target.checked) next.add(code.id);
                        else next.delete(code.id);
                        setSelected(next);
                      }}
                    />
                  )}
                </td>
                <td className="px-3 py-3 font-mono text-xs whitespace-nowrap text-slate-800">
                  {code.partialCode}
                  <div className="text-slate-500">batch {code.batchId.slice(0, 8)}</div>
                </td>
                <td className="px-3 py-3">
                  <Badge tone={TONES[code.status]}>{LABELS[code.status]}</Badge>
                  {code.revokedAt && (
                    <div className="mt-1 text-xs whitespace-nowrap text-slate-500">{when(code.revokedAt)}</div>
                  )}
                </td>
                <td className="px-3 py-3 text-right tabular-nums">${code.amountUsd}</td>
                <td className="px-3 py-3 whitespace-nowrap text-slate-600">
                  {code.expiresAt ? when(code.expiresAt) : "Never"}
                </td>
                <td className="px-3 py-3 text-slate-700">
                  {code.redeemedAt ? (
                    <>
                      <div className="break-all">{code.redeemedByEmail ?? "With an API key"}</div>
                      <div className="text-xs text-slate-500">
                        {code.redeemedByOrgName ?? code.redeemedByOrgId} · {when(code.redeemedAt)}
                      </div>
                    </>
                  ) : (
                    "—"
                  )}
                </td>
                <td className="px-3 py-3 whitespace-nowrap text-slate-600">{when(code.createdAt)}</td>
                <td className="px-5 py-3 text-right">
                  {isRevocable(code) && (
                    <form onSubmit={onSubmit([code.id])}>
                      <ConfirmButton
                        label="Revoke"
                        variant="secondary"
                        accessibleLabel={`Revoke ${code.partialCode}`}
                        title={`Revoke ${code.partialCode}?`}
                        confirmLabel="Revoke code"
                      >
                        This ${code.amountUsd} code can no longer be redeemed.
                      </ConfirmButton>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
