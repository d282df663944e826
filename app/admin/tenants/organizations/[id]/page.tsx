import Link from "next/link";
import { notFound } from "next/navigation";
import { AdminAction } from "@/components/admin/tenants/admin-action";
import { CreditForm } from "@/components/admin/tenants/credit-form";
import { Badge, Card, CardHeader, EmptyState, Notice, PageHeader, Stat } from "@/components/ui/card";
import { ApiError } from "@/lib/api/errors";
import { ID_PATTERN } from "@/lib/admin/fields";
import { getOrganizationDetail, SPEND_WINDOW_DAYS, type OrganizationDetail } from "@/lib/admin/organization-detail";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { formatAgo, formatCount, formatDateTime, formatUsd } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Organization");

const LEDGER_LABELS: Record<string, string> = {
  TOPUP: "Top-up",
  ADJUSTMENT: "Adjustment",
  REFUND: "Refund",
  REDEMPTION: "Redemption code",
  SIGNUP_CREDIT: "Starting credit",
  DISPUTE: "Dispute",
  DISPUTE_REVERSAL: "Dispute won",
};

async function load(id: string): Promise<OrganizationDetail> {
  if (!ID_PATTERN.test(id)) notFound();
  try {
    return await getOrganizationDetail(id);
  } catch (err) {
    if (err instanceof ApiError && err.code === "not_found") notFound();
    throw err;
  }
}

export default async function OrganizationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePlatformAdmin(`/admin/tenants/organizations/${id}`);
  const org = await load(id);
  const isDisabled = org.disabledAt !== null;

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href="/admin/tenants" className="text-indigo-700 hover:underline">
          Tenants
        </Link>
      </nav>
      <PageHeader
        title={org.name}
        description={
          <>
            <span className="font-mono">{org.id}</span> · created {formatDateTime(org.createdAt)}
            {org.personal && " · personal workspace"}
          </>
        }
        actions={
          isDisabled ? (
            <Badge tone="red">Disabled</Badge>
          ) : org.deletedAt ? (
            <Badge tone="amber">Deleted by its owner</Badge>
          ) : (
            <Badge tone="green">Active</Badge>
          )
        }
      />
      <div className="grid grid-cols-1 gap-6">
        {isDisabled && (
          <Notice tone="error">
            Disabled since {formatDateTime(org.disabledAt!)}: every key of this organization is refused. Its balance and
            history are kept.
          </Notice>
        )}
        {org.billingReviewReason && <Notice tone="info">Billing review: {org.billingReviewReason}</Notice>}
        <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
          <Stat
            label="Balance"
            value={<span data-testid="org-balance">{formatUsd(org.balanceNanos)}</span>}
            detail={org.balanceNanos < 0n ? "Below zero after a refund or dispute" : "Available for new requests"}
          />
          <Stat label="Held" value={formatUsd(org.heldNanos)} detail="Reserved by requests in flight" />
          <Stat label={`Spend, last ${SPEND_WINDOW_DAYS} days`} value={formatUsd(org.spentLastWindowNanos)} />
          <Stat label="Spend, all time" value={formatUsd(org.spentTotalNanos)} />
        </div>

        <Card>
          <CardHeader
            title="Adjust credit"
            description="Adds funds, or removes them with a negative amount (never below zero). The note is kept in the ledger and the audit log."
          />
          <div className="p-5">
            <CreditForm organizationId={org.id} />
          </div>
        </Card>

        <Card>
          <CardHeader title="Credits and adjustments" description="The latest ledger entries other than usage." />
          {org.recentLedger.length === 0 ? (
            <EmptyState title="No credits yet">Top-ups, adjustments and redemptions appear here.</EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[36rem] text-left text-sm" data-testid="org-ledger">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Date
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Entry
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Amount
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {org.recentLedger.map((entry) => (
                    <tr key={entry.id}>
                      <td className="px-5 py-3 whitespace-nowrap text-slate-700">{formatDateTime(entry.createdAt)}</td>
                      <td className="px-5 py-3 text-slate-700">
                        <span className="font-medium">{LEDGER_LABELS[entry.kind] ?? entry.kind}</span>
                        {entry.note && entry.note !== LEDGER_LABELS[entry.kind] && (
                          <span className="text-slate-600"> — {entry.note}</span>
                        )}
                        {entry.actorEmail && <p className="text-xs text-slate-500">by {entry.actorEmail}</p>}
                      </td>
                      <td
                        className={`px-5 py-3 text-right font-medium tabular-nums ${entry.amountNanos < 0n ? "text-slate-900" : "text-emerald-700"}`}
                      >
                        {entry.amountNanos > 0n ? "+" : ""}
                        {formatUsd(entry.amountNanos)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>

        <Card>
          <CardHeader title="Members" description={`${org.members.length} with access`} />
          {org.members.length === 0 ? (
            <EmptyState title="No members">Created through the management API; it has no people yet.</EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100">
              {org.members.map((member) => (
                <li key={member.userId} className="flex flex-wrap items-center justify-between gap-2 px-5 py-3 text-sm">
                  <div className="min-w-0">
                    <Link
                      href={`/admin/tenants/users/${member.userId}`}
                      className="font-medium break-all text-indigo-700 hover:underline"
                    >
                      {member.email}
                    </Link>
                    {member.name && <p className="text-xs text-slate-500">{member.name}</p>}
                  </div>
                  <div className="flex gap-2">
                    <Badge tone={member.role === "OWNER" ? "indigo" : "slate"}>{member.role.toLowerCase()}</Badge>
                    {member.userDisabled && <Badge tone="red">Disabled</Badge>}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card>
          <CardHeader title="API keys" description="Active keys first." />
          {org.keys.length === 0 ? (
            <EmptyState title="No keys">The organization has not issued an API key yet.</EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[40rem] text-left text-sm" data-testid="org-keys">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Key
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Created by
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Spent
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Last used
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Status
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {org.keys.map((key) => (
                    <tr key={key.id}>
                      <td className="px-5 py-3">
                        <p className="font-medium text-slate-900">{key.name}</p>
                        <p className="font-mono text-xs text-slate-500">{key.partialKey}</p>
                      </td>
                      <td className="px-5 py-3 break-all text-slate-700">{key.createdByEmail ?? "Management API"}</td>
                      <td className="px-5 py-3 text-right tabular-nums">{formatUsd(key.spentNanos)}</td>
                      <td className="px-5 py-3 whitespace-nowrap text-slate-600">
                        {key.lastUsedAt ? formatAgo(key.lastUsedAt) : "Never"}
                      </td>
                      <td className="px-5 py-3">
                        {key.revokedAt ? (
                          <Badge>Revoked</Badge>
                        ) : key.expiresAt && key.expiresAt <= new Date() ? (
                          <Badge tone="amber">Expired</Badge>
                        ) : key.scope === "ADMIN" ? (
                          <Badge tone="indigo">Admin key</Badge>
                        ) : (
                          <Badge tone="green">Active</Badge>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>

        <Card>
          <CardHeader title="Recent requests" description="The latest 20 receipts." />
          {org.recentRequests.length === 0 ? (
            <EmptyState title="No requests yet">
              Requests made with this organization&apos;s keys appear here.
            </EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[40rem] text-left text-sm" data-testid="org-requests">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Time
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Model
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Status
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Tokens in / out
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Cost
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {org.recentRequests.map((request) => (
                    <tr key={request.id}>
                      <td className="px-5 py-3 whitespace-nowrap text-slate-700">
                        {formatDateTime(request.createdAt)}
                      </td>
                      <td className="px-5 py-3 font-mono text-xs">{request.model}</td>
                      <td className="px-5 py-3">
                        <Badge tone={request.status < 400 ? "green" : "red"}>{request.status}</Badge>
                      </td>
                      <td className="px-5 py-3 text-right tabular-nums">
                        {formatCount(request.inputTokens)} / {formatCount(request.outputTokens)}
                      </td>
                      <td className="px-5 py-3 text-right tabular-nums">{formatUsd(request.costNanos)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>

        <Card>
          <CardHeader
            title={isDisabled ? "Enable the organization" : "Disable the organization"}
            description={
              isDisabled
                ? "Its keys work again at once; members can use the dashboard as before."
                : "Every key of this organization is refused within a second, on every server. Balance and history stay."
            }
          />
          <div className="p-5">
            {isDisabled ? (
              <AdminAction
                url={`/api/admin/organizations/${org.id}`}
                body={{ disabled: false }}
                label="Enable organization"
                title={`Enable ${org.name}?`}
                variant="secondary"
              >
                Its API keys will be accepted again.
              </AdminAction>
            ) : (
              <AdminAction
                url={`/api/admin/organizations/${org.id}`}
                body={{ disabled: true }}
                label="Disable organization"
                title={`Disable ${org.name}?`}
              >
                Requests with any of its {org.keys.filter((k) => !k.revokedAt).length} active keys will be refused at
                once. You can enable it again later.
              </AdminAction>
            )}
          </div>
        </Card>
      </div>
    </>
  );
}
