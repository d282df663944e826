"use client";

import { PageError } from "@/components/ui/page-error";

export default function AdminCodesError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Redemption codes" reset={reset} />;
}
