"use client";

import { PageError } from "@/components/ui/page-error";

export default function UsageError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Usage" reset={reset} />;
}
