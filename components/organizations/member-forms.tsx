"use client";

import { useActionState } from "react";
import {
  changeRoleAction,
  inviteMemberAction,
  removeMemberAction,
  revokeInvitationAction,
  setSpendLimitAction,
} from "@/app/(dashboard)/dashboard/members/actions";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm-button";
import { CopyButton } from "@/components/ui/copy-button";
import { INPUT_CLASS, SelectField, TextField } from "@/components/ui/field";
import { INITIAL_FORM_STATE } from "@/lib/organizations/action-state";
import type { MembershipRole } from "@/lib/tenancy/context";
import { FormStatus } from "./form-status";

export function InviteForm({ canInviteAdmin }: { canInviteAdmin: boolean }) {
  const [state, action, pending] = useActionState(inviteMemberAction, INITIAL_FORM_STATE);
  return (
    <form action={action} className="grid gap-4 p-5" noValidate>
      <div className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
        <TextField
          id="invite-email"
          name="email"
          type="email"
          label="Email"
          autoComplete="off"
          required
          placeholder="colleague@example.com"
          error={state.fieldErrors?.email}
        />
        <SelectField id="invite-role" name="role" label="Role" defaultValue="MEMBER" error={state.fieldErrors?.role}>
          <option value="MEMBER">Member</option>
          {canInviteAdmin && <option value="ADMIN">Admin</option>}
        </SelectField>
        <Button type="submit" disabled={pending} className="sm:mt-7">
          {pending ? "Inviting…" : "Invite"}
        </Button>
      </div>
      <FormStatus state={state} testId="invite-status" />
      {state.link && (
        <div className="flex flex-wrap items-center gap-2 rounded-md bg-slate-50 p-3 text-sm">
          <span className="text-slate-600">Invitation link:</span>
          <code className="min-w-0 flex-1 truncate text-slate-800" data-testid="invite-link">
            {state.link}
          </code>
          <CopyButton value={state.link} label="Copy link" />
        </div>
      )}
    </form>
  );
}

const ROLE_LABEL: Record<MembershipRole, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member" };

export function RoleForm({
  membershipId,
  role,
  roles,
  email,
}: {
  membershipId: string;
  role: MembershipRole;
  /** The roles the viewer may give this member (empty: read-only). */
  roles: MembershipRole[];
  email: string;
}) {
  const [state, action, pending] = useActionState(changeRoleAction, INITIAL_FORM_STATE);
  const id = `role-${membershipId}`;
  if (roles.length <= 1) {
    return (
      <div className="grid gap-1">
        <span className="text-xs font-medium text-slate-500">Role</span>
        <span className="text-sm text-slate-900">{ROLE_LABEL[role]}</span>
      </div>
    );
  }
  return (
    <form action={action} className="grid gap-1">
      <input type="hidden" name="membershipId" value={membershipId} />
      <label htmlFor={id} className="text-xs font-medium text-slate-500">
        Role <span className="sr-only">of {email}</span>
      </label>
      <div className="flex gap-2">
        <select id={id} name="role" defaultValue={role} className={`${INPUT_CLASS} min-w-0`}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </select>
        <Button type="submit" variant="secondary" disabled={pending}>
          Save role
        </Button>
      </div>
      <FormStatus state={state} />
    </form>
  );
}

export function SpendCapForm({
  membershipId,
  limitUsd,
  email,
}: {
  membershipId: string;
  limitUsd: string;
  email: string;
}) {
  const [state, action, pending] = useActionState(setSpendLimitAction, INITIAL_FORM_STATE);
  const id = `cap-${membershipId}`;
  const error = state.fieldErrors?.limit;
  return (
    <form action={action} className="grid gap-1">
      <input type="hidden" name="membershipId" value={membershipId} />
      <label htmlFor={id} className="text-xs font-medium text-slate-500">
        Monthly cap (USD) <span className="sr-only">for {email}</span>
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          name="limit"
          inputMode="decimal"
          defaultValue={limitUsd}
          placeholder="No cap"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          className={`${INPUT_CLASS} min-w-0`}
        />
        <Button type="submit" variant="secondary" disabled={pending}>
          Save cap
        </Button>
      </div>
      {error && (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
          {error}
        </p>
      )}
      <FormStatus state={error ? {} : state} />
    </form>
  );
}

export function RemoveMemberForm({ membershipId, email }: { membershipId: string; email: string }) {
  const [state, action] = useActionState(removeMemberAction, INITIAL_FORM_STATE);
  return (
    <form action={action} className="grid justify-items-start gap-1">
      <input type="hidden" name="membershipId" value={membershipId} />
      <ConfirmButton
        label="Remove"
        accessibleLabel={`Remove ${email}`}
        title={`Remove ${email}?`}
        confirmLabel="Remove member"
      >
        {email} loses access to this organization, and the API keys they created here are revoked at once.
      </ConfirmButton>
      <FormStatus state={state} />
    </form>
  );
}

export function RevokeInvitationForm({ invitationId, email }: { invitationId: string; email: string }) {
  const [state, action, pending] = useActionState(revokeInvitationAction, INITIAL_FORM_STATE);
  return (
    <form action={action} className="flex flex-col gap-1">
      <input type="hidden" name="invitationId" value={invitationId} />
      <Button type="submit" variant="secondary" disabled={pending} aria-label={`Revoke the invitation to ${email}`}>
        Revoke
      </Button>
      <FormStatus state={state} />
    </form>
  );
}
