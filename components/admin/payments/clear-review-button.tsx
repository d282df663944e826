"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ConfirmButton } from "@/components/ui/confirm-button";
import { apiRequest } from "@/components/api-request";

// Clears the billing-review flag a dispute set (POST /api/admin/organizations/{id}/clear-review),
// behind a confirmation; the audit log keeps the reason it had.
export function ClearReviewButton({ organizationId, name }: { organizationId: string; name: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    try {
      await apiRequest("POST", `/api/admin/organizations/${organizationId}/clear-review`, {});
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <form onSubmit={submit} className="grid justify-items-start gap-1">
      <ConfirmButton
        label="Clear flag"
        accessibleLabel={`Clear the review flag of ${name}`}
        title={`Clear the review flag of “${name}”?`}
        confirmLabel="Clear flag"
        variant="secondary"
      >
        The organization is no longer listed for review. Its balance and ledger do not change; the audit log keeps the
        reason it was flagged.
      </ConfirmButton>
      {error && (
        <p role="alert" className="text-xs text-red-700">
          {error}
        </p>
      )}
    </form>
  );
}
