"use client";

import { PageError } from "@/components/ui/page-error";

export default function DashboardError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Dashboard" reset={reset} />;
}
