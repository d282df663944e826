import Link from "next/link";
import { CodesTable } from "@/components/admin/codes/codes-table";
import { MintCodesForm } from "@/components/admin/codes/mint-codes-form";
import { buttonClass } from "@/components/ui/button";
import { Card, CardHeader, EmptyState, PageHeader, Stat } from "@/components/ui/card";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import {
  countRedemptionCodes,
  listRedemptionCodes,
  REDEMPTION_CODE_STATUSES,
  type RedemptionCodeStatus,
} from "@/lib/admin/redemption-codes";

export const generateMetadata = adminPageMetadata("Redemption codes");
export const dynamic = "force-dynamic";

const LIST_LIMIT = 500;
const LABELS: Record<RedemptionCodeStatus, string> = {
  unused: "Unused",
  redeemed: "Redeemed",
  expired: "Expired",
  revoked: "Revoked",
};

export default async function AdminCodesPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  await requirePlatformAdmin("/admin/codes");
  const query = await searchParams;
  const status = REDEMPTION_CODE_STATUSES.find((s) => s === query.status);
  const [counts, { data: codes }] = await Promise.all([
    countRedemptionCodes(),
    listRedemptionCodes({ status, limit: LIST_LIMIT }),
  ]);
  const total = REDEMPTION_CODE_STATUSES.reduce((sum, s) => sum + counts[s], 0);
  const exportHref = `/api/admin/redemption-codes/export${status ? `?status=${status}` : ""}`;

  return (
    <>
      <PageHeader
        title="Redemption codes"
        description="Prepaid credit codes a tenant redeems in Settings or with POST /api/redeem. Only the last four characters are stored: a code is shown once, when it is made."
      />
      <div className="grid grid-cols-1 gap-6">
        <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
          {REDEMPTION_CODE_STATUSES.map((s) => (
            <Stat key={s} label={LABELS[s]} value={counts[s]} testId={`codes-count-${s}`} />
          ))}
        </div>
        <Card>
          <CardHeader title="Make codes" description="A batch of codes of the same amount, with an optional expiry." />
          <div className="p-5">
            <MintCodesForm />
          </div>
        </Card>
        <Card>
          <CardHeader
            title="Codes"
            description={`Newest first${codes.length === LIST_LIMIT ? ` (the newest ${LIST_LIMIT})` : ""}.`}
            action={
              total > 0 ? (
                <a href={exportHref} className={buttonClass("secondary")} download>
                  Export CSV
                </a>
              ) : undefined
            }
          />
          <nav aria-label="Filter by status" className="flex flex-wrap gap-2 border-b border-slate-100 px-5 py-3">
            <FilterLink href="/admin/codes" isActive={!status} label={`All (${total})`} />
            {REDEMPTION_CODE_STATUSES.map((s) => (
              <FilterLink
                key={s}
                href={`/admin/codes?status=${s}`}
                isActive={status === s}
                label={`${LABELS[s]} (${counts[s]})`}
              />
            ))}
          </nav>
          {codes.length === 0 ? (
            <EmptyState title={status ? `No ${LABELS[status].toLowerCase()} codes` : "No codes yet"}>
              {status ? "Choose another filter to see other codes." : "Make a batch above; its codes appear here."}
            </EmptyState>
          ) : (
            <CodesTable codes={codes} />
          )}
        </Card>
      </div>
    </>
  );
}

function FilterLink({ href, isActive, label }: { href: string; isActive: boolean; label: string }) {
  return (
    <Link
      href={href}
      aria-current={isActive ? "page" : undefined}
      className={`rounded-full px-3 py-1 text-sm font-medium ${
        isActive ? "bg-indigo-600 text-white" : "bg-slate-100 text-slate-700 hover:bg-slate-200"
      }`}
    >
      {label}
    </Link>
  );
}
