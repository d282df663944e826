"use client";

import { PageError } from "@/components/ui/page-error";

export default function AnalyticsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Analytics" reset={reset} />;
}
