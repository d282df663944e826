import type { ReactNode } from "react";
import { Badge, Card, CardHeader, PageHeader } from "@/components/ui/card";
import {
  CreateOrganizationForm,
  DeleteOrganizationForm,
  RedeemForm,
  RenameForm,
  ThresholdForm,
} from "@/components/organizations/settings-forms";
import { nanosToUsd } from "@/lib/billing/money";
import { formatDate, formatUsd } from "@/lib/format";
import { roleAtLeast } from "@/lib/organizations/access";
import { getOrganizationSettings } from "@/lib/organizations/settings";
import { requireTenant } from "@/lib/tenancy/context";

export const metadata = { title: "Settings", description: "Your organization's name, limits and notifications." };

function Detail({ label, children, wide = false }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={`grid content-start gap-0.5 ${wide ? "sm:col-span-2" : ""}`}>
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="text-sm break-all text-slate-900">{children}</dd>
    </div>
  );
}

const ROLE_TEXT = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member" } as const;

export default async function SettingsPage() {
  const { user, organization } = await requireTenant("MEMBER", "/dashboard/settings");
  const settings = await getOrganizationSettings({ organizationId: organization.id, userId: user.id });
  const isAdmin = roleAtLeast(settings.role, "ADMIN");
  const isOwner = settings.role === "OWNER";
  const threshold = settings.lowBalanceThresholdNanos;
  return (
    <>
      <PageHeader title="Settings" description={`Organization settings for ${settings.name}.`} />
      <div className="grid gap-6">
        <Card>
          <CardHeader
            title="Organization"
            description={isAdmin ? "Admins and owners can rename it." : "Only admins and owners can change these."}
          />
          <div className="grid gap-5 p-5">
            <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
              <Detail label="Name">
                <span data-testid="org-name">{settings.name}</span> {settings.personal && <Badge>Personal</Badge>}
              </Detail>
              <Detail label="Your role">{ROLE_TEXT[settings.role]}</Detail>
              <Detail label="Members">{settings.memberCount}</Detail>
              <Detail label="Created">{formatDate(settings.createdAt)}</Detail>
              <Detail label="Balance">
                <span data-testid="org-balance">{formatUsd(settings.balanceNanos)}</span>
                {settings.heldNanos > 0n && (
                  <span className="text-slate-500"> (+{formatUsd(settings.heldNanos)} held)</span>
                )}
              </Detail>
              <Detail label="Organization ID" wide>
                <code className="text-xs">{settings.id}</code>
              </Detail>
            </dl>
            {isAdmin && <RenameForm name={settings.name} />}
          </div>
        </Card>

        <Card>
          <CardHeader
            title="Low-balance alert"
            description="Owners get one email each time the balance falls below this amount."
          />
          <div className="p-5">
            {isOwner ? (
              <ThresholdForm thresholdUsd={threshold === null ? "" : nanosToUsd(threshold)} />
            ) : (
              <p className="text-sm text-slate-700">
                {threshold === null ? "No alert is set." : `Owners are emailed below ${formatUsd(threshold)}.`} Only
                owners can change it.
              </p>
            )}
          </div>
        </Card>

        {isOwner && (
          <Card>
            <CardHeader
              title="Redeem a credit code"
              description="Adds the code's value to this organization's balance."
            />
            <div className="p-5">
              <RedeemForm />
            </div>
          </Card>
        )}

        <Card className="scroll-mt-6" id="create-organization">
          <CardHeader
            title="Create an organization"
            description="A separate workspace with its own balance, keys and members. You become its owner."
          />
          <div className="p-5">
            <CreateOrganizationForm />
          </div>
        </Card>

        {isOwner && (
          <Card className="border-red-200">
            <CardHeader
              title="Delete organization"
              description={
                settings.personal
                  ? "Your personal workspace cannot be deleted."
                  : "Members lose access and every API key stops working at once. Billing records are kept."
              }
            />
            {!settings.personal && (
              <div className="p-5">
                <DeleteOrganizationForm name={settings.name} />
              </div>
            )}
          </Card>
        )}
      </div>
    </>
  );
}
