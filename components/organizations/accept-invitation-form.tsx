"use client";

import { useActionState } from "react";
import { acceptInvitationAction } from "@/app/(site)/invite/[token]/actions";
import { Button } from "@/components/ui/button";
import { INITIAL_FORM_STATE } from "@/lib/organizations/action-state";
import { FormStatus } from "./form-status";

export function AcceptInvitationForm({ token }: { token: string }) {
  const [state, action, pending] = useActionState(acceptInvitationAction, INITIAL_FORM_STATE);
  return (
    <form action={action} className="grid gap-3">
      <input type="hidden" name="token" value={token} />
      <Button type="submit" disabled={pending}>
        {pending ? "Joining…" : "Accept invitation"}
      </Button>
      <FormStatus state={state} testId="accept-status" />
    </form>
  );
}
