"use client";

import { PageError } from "@/components/ui/page-error";

export default function BillingError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Billing" reset={reset} />;
}
