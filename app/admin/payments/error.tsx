"use client";

import { PageError } from "@/components/ui/page-error";

export default function PaymentsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Payments" reset={reset} />;
}
