import { Badge, Card, CardHeader, EmptyState, PageHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import {
  InviteForm,
  RemoveMemberForm,
  RevokeInvitationForm,
  RoleForm,
  SpendCapForm,
} from "@/components/organizations/member-forms";
import { nanosToUsd } from "@/lib/billing/money";
import { formatDate, formatDateTime, formatUsd } from "@/lib/format";
import { siteBaseUrl } from "@/lib/accounts/links";
import { listPendingInvitations } from "@/lib/organizations/invitations";
import { listMembers, type MemberRow } from "@/lib/organizations/members";
import { requireTenant, type MembershipRole } from "@/lib/tenancy/context";

export const metadata = {
  title: "Members",
  description: "Who belongs to your organization, their roles and pending invitations.",
};

/** The roles the viewer may set for this member: admins move members and admins; owners anything. */
function assignableRoles(viewer: MembershipRole, member: MembershipRole): MembershipRole[] {
  if (viewer === "OWNER") return ["OWNER", "ADMIN", "MEMBER"];
  return member === "OWNER" ? [] : ["ADMIN", "MEMBER"];
}

function SpendLine({ member }: { member: MemberRow }) {
  const cap = member.monthlySpendLimitNanos;
  const over = cap !== null && member.monthSpentNanos >= cap;
  return (
    <p className="text-sm text-slate-700 tabular-nums">
      <span className={over ? "font-medium text-red-700" : ""}>{formatUsd(member.monthSpentNanos)}</span>
      <span className="text-slate-500"> of {cap === null ? "no cap" : formatUsd(cap)} this month</span>
    </p>
  );
}

export default async function MembersPage() {
  const { user, organization } = await requireTenant("ADMIN", "/dashboard/members");
  const actor = { organizationId: organization.id, userId: user.id };
  const [members, invitations] = await Promise.all([listMembers(actor), listPendingInvitations(actor, siteBaseUrl())]);
  const owners = members.filter((m) => m.role === "OWNER").length;
  return (
    <>
      <PageHeader
        title="Members"
        description={`People in ${organization.name}: admins manage keys, members and limits; owners also manage billing.`}
      />
      <div className="grid gap-6">
        <Card>
          <CardHeader
            title="Invite a member"
            description="They get an email with a link that works once, for 7 days, with the address you enter."
          />
          <InviteForm canInviteAdmin />
        </Card>

        <Card>
          <CardHeader
            title={`Members (${members.length})`}
            description="Spend is what each member's API keys cost this UTC month; a cap stops their keys when reached."
          />
          <ul className="divide-y divide-slate-100" data-testid="member-list">
            {members.map((m) => {
              const isLastOwner = m.role === "OWNER" && owners <= 1;
              const roles = isLastOwner ? [] : assignableRoles(organization.role, m.role);
              const canRemove = !isLastOwner && (organization.role === "OWNER" || m.role !== "OWNER");
              return (
                <li
                  key={m.membershipId}
                  className="grid gap-4 px-5 py-4 lg:grid-cols-[minmax(0,1fr)_14rem_15rem_6rem] lg:items-start"
                  data-testid="member-row"
                  data-email={m.email}
                >
                  <div className="min-w-0">
                    <p className="flex flex-wrap items-center gap-2 text-sm font-medium text-slate-900">
                      <span className="truncate">{m.name || m.email}</span>
                      {m.userId === user.id && <Badge tone="indigo">You</Badge>}
                      {m.role === "OWNER" && <Badge tone="amber">Owner</Badge>}
                    </p>
                    {m.name && <p className="truncate text-sm text-slate-600">{m.email}</p>}
                    <p className="mt-1 text-xs text-slate-500">Joined {formatDate(m.joinedAt)}</p>
                    <SpendLine member={m} />
                  </div>
                  <RoleForm membershipId={m.membershipId} role={m.role} roles={roles} email={m.email} />
                  <SpendCapForm
                    membershipId={m.membershipId}
                    email={m.email}
                    limitUsd={m.monthlySpendLimitNanos === null ? "" : nanosToUsd(m.monthlySpendLimitNanos)}
                  />
                  <div className="lg:justify-self-end lg:pt-5">
                    {canRemove ? (
                      <RemoveMemberForm membershipId={m.membershipId} email={m.email} />
                    ) : (
                      <p className="text-xs text-slate-500">{isLastOwner ? "Last owner" : ""}</p>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        </Card>

        <Card>
          <CardHeader title="Pending invitations" description="Links not yet used. Revoke one to void its link." />
          {invitations.length === 0 ? (
            <EmptyState title="No pending invitations">
              Invite someone above: they appear here until they accept.
            </EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100" data-testid="invitation-list">
              {invitations.map((inv) => (
                <li
                  key={inv.id}
                  className="flex flex-wrap items-center justify-between gap-3 px-5 py-4"
                  data-testid="invitation-row"
                >
                  <div className="min-w-0">
                    <p className="truncate text-sm font-medium text-slate-900">{inv.email}</p>
                    <p className="text-xs text-slate-500">
                      {inv.role === "ADMIN" ? "Admin" : "Member"} · expires {formatDateTime(inv.expiresAt)}
                    </p>
                  </div>
                  <div className="flex gap-2">
                    <CopyButton value={inv.link} label="Copy link" />
                    <RevokeInvitationForm invitationId={inv.id} email={inv.email} />
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
