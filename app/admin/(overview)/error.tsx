"use client";

import { PageError } from "@/components/ui/page-error";

export default function AdminOverviewError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Overview" reset={reset} />;
}
