import { revokeKeyAction } from "@/app/(dashboard)/dashboard/keys/actions";
import { ConfirmButton } from "@/components/ui/confirm-button";

/** "Revoke" behind a confirmation dialog; the dialog's confirm button submits this form. */
export function RevokeKeyForm({ keyId, name, partialKey }: { keyId: string; name: string; partialKey: string }) {
  return (
    <form action={revokeKeyAction}>
      <input type="hidden" name="keyId" value={keyId} />
      <ConfirmButton
        label="Revoke"
        accessibleLabel={`Revoke “${name}”`}
        title={`Revoke “${name}”?`}
        confirmLabel="Revoke key"
      >
        <p>
          Requests with <span className="font-mono">{partialKey}</span> are refused from the next request on, on every
          server. This cannot be undone; its usage history stays.
        </p>
      </ConfirmButton>
    </form>
  );
}
