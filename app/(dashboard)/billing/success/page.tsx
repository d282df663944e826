import { CheckoutRefresh } from "@/components/billing/checkout-refresh";
import { ButtonLink } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { checkoutStatus, type CheckoutState } from "@/lib/billing/stripe/checkout-status";
import { formatUsd } from "@/lib/format";
import { requireTenant } from "@/lib/tenancy/context";

export const metadata = { title: "Payment", description: "The state of your TokenFlow top-up payment." };

const MESSAGES: Record<CheckoutState, { title: string; body: (amount: string, org: string) => string }> = {
  credited: { title: "Payment received", body: (amount, org) => `${amount} was added to the balance of ${org}.` },
  processing: {
    title: "Processing your payment…",
    body: (amount) =>
      `Stripe is confirming your payment of ${amount}. This page updates by itself; you can also leave it, the credit arrives either way.`,
  },
  failed: {
    title: "The payment did not go through",
    body: () => "Nothing was charged or credited. You can try again with another card.",
  },
  expired: { title: "The checkout expired", body: () => "Nothing was charged. Start a new top-up when you are ready." },
  review: {
    title: "We are checking this payment",
    body: () => "Stripe reported an amount we did not expect, so nothing was credited yet. Our team will look at it.",
  },
  card_saved: {
    title: "Card saved",
    body: () => "Your card is saved for auto top-up. Set the amounts on the billing page.",
  },
  unknown: {
    title: "Payment not found",
    body: () => "We could not find this checkout. It may belong to another account.",
  },
};

export default async function CheckoutSuccessPage({
  searchParams,
}: {
  searchParams: Promise<{ session_id?: string }>;
}) {
  const { user } = await requireTenant("MEMBER", "/billing");
  const { session_id: sessionId = "" } = await searchParams;
  const status = await checkoutStatus(user.id, sessionId);
  const message = MESSAGES[status.state];
  const amount = status.amountNanos === null ? "" : formatUsd(status.amountNanos);
  return (
    <>
      <PageHeader title="Billing" />
      <Card>
        <div className="grid gap-4 p-6" data-testid="checkout-status" data-state={status.state}>
          <h2 className="text-lg font-semibold text-slate-900" aria-live="polite">
            {message.title}
          </h2>
          <p className="text-sm text-slate-700">
            {message.body(amount, status.organizationName ?? "your organization")}
          </p>
          <div>
            <ButtonLink href="/billing" variant={status.state === "credited" ? "primary" : "secondary"}>
              Back to billing
            </ButtonLink>
          </div>
        </div>
      </Card>
      {status.state === "processing" && <CheckoutRefresh />}
    </>
  );
}
