import { AutoTopUpForm } from "@/components/billing/auto-top-up-form";
import { PaymentHistory } from "@/components/billing/payment-history";
import { StatementTable } from "@/components/billing/statement-table";
import { TopUpForm } from "@/components/billing/top-up-form";
import { Card, CardHeader, Notice, PageHeader, Stat } from "@/components/ui/card";
import { getBillingView } from "@/lib/billing/statement";
import { getAutoTopUpSettings } from "@/lib/billing/stripe/auto-top-up";
import { isTopUpConfigured } from "@/lib/billing/stripe/config";
import { formatUsd } from "@/lib/format";
import { getPlatformSettings } from "@/lib/settings/platform";
import { requireTenant } from "@/lib/tenancy/context";

export const metadata = { title: "Billing", description: "Your organization's balance, top-ups and auto top-up." };

const PRESETS_USD = ["10", "25", "50", "100"];

export default async function BillingPage({ searchParams }: { searchParams: Promise<{ checkout?: string }> }) {
  const { user, organization } = await requireTenant("MEMBER", "/billing");
  const actor = { organizationId: organization.id, userId: user.id };
  const [view, settings, query] = await Promise.all([getBillingView(actor), getPlatformSettings(), searchParams]);
  const isOwner = view.role === "OWNER";
  const configured = isTopUpConfigured();
  const autoTopUp = view.details ? await getAutoTopUpSettings(organization.id) : null;
  const minUsd = formatUsd(settings.topUpMinNanos);
  const maxUsd = formatUsd(settings.topUpMaxNanos);
  const presets = PRESETS_USD.filter((usd) => {
    const nanos = BigInt(usd) * 1_000_000_000n;
    return nanos >= settings.topUpMinNanos && nanos <= settings.topUpMaxNanos;
  }).map((usd) => `${usd}.00`);
  const negative = view.balanceNanos < 0n;

  return (
    <>
      <PageHeader title="Billing" description={`Prepaid credit for ${view.name}.`} />
      <div className="grid grid-cols-1 gap-6">
        {query.checkout === "cancelled" && <Notice tone="info">Checkout was cancelled: nothing was charged.</Notice>}
        {negative && (
          <Notice tone="error">
            The balance is below zero after a refund or a dispute. Requests with this organization&apos;s keys are
            refused (HTTP 402) until it is topped up.
          </Notice>
        )}
        {view.underReview && view.details && (
          <Notice tone="info">
            A payment of this organization is disputed. Our team reviews the account; contact support with any
            questions.
          </Notice>
        )}
        <div className="grid gap-4 sm:grid-cols-2">
          <Stat
            label="Balance"
            value={<span data-testid="billing-balance">{formatUsd(view.balanceNanos)}</span>}
            detail="Available for new requests"
          />
          <Stat
            label="Held"
            value={<span data-testid="billing-held">{formatUsd(view.heldNanos)}</span>}
            detail="Reserved by requests in flight (a busy key also reserves its next few, at most 0.1 % of the balance); the unused part returns within seconds"
          />
        </div>

        {!view.details ? (
          <Card>
            <div className="p-5 text-sm text-slate-700">
              Only owners and admins of {view.name} can top up and see its payments. Ask one of them if the balance runs
              low.
            </div>
          </Card>
        ) : (
          <>
            <Card>
              <CardHeader title="Top up" description="Add prepaid credit with a card, through Stripe." />
              <div className="p-5">
                {configured ? (
                  <TopUpForm
                    organizationId={organization.id}
                    presets={presets}
                    minUsd={minUsd}
                    maxUsd={maxUsd}
                    canSaveCard={isOwner}
                  />
                ) : (
                  <p className="text-sm text-slate-700" data-testid="top-up-not-configured">
                    Top-up is not configured on this server. An administrator can add credit to this organization, or
                    you can redeem a credit code in{" "}
                    <a href="/dashboard/settings" className="font-medium text-indigo-700 hover:text-indigo-600">
                      Settings
                    </a>
                    .
                  </p>
                )}
              </div>
            </Card>

            {configured && autoTopUp && (
              <Card>
                <CardHeader
                  title="Auto top-up"
                  description="Charge the saved card when the balance runs low, so requests never stop."
                />
                <div className="p-5">
                  {isOwner ? (
                    <AutoTopUpForm organizationId={organization.id} initial={autoTopUp} />
                  ) : (
                    <p className="text-sm text-slate-700">
                      {autoTopUp.enabled
                        ? `On: $${autoTopUp.amountUsd} when the balance falls below $${autoTopUp.thresholdUsd}.`
                        : "Off."}{" "}
                      Only owners can change it.
                    </p>
                  )}
                </div>
              </Card>
            )}

            <Card>
              <CardHeader title="Payments" description="Top-ups through Stripe, newest first." />
              <PaymentHistory payments={view.details.payments} />
            </Card>

            <Card>
              <CardHeader
                title="Ledger"
                description="Every change to the balance: credits, usage per day, refunds and adjustments."
              />
              <StatementTable
                lines={view.details.statement}
                ledgerTotalNanos={view.details.ledgerTotalNanos}
                balanceNanos={view.balanceNanos}
                heldNanos={view.heldNanos}
              />
            </Card>
          </>
        )}
      </div>
    </>
  );
}
