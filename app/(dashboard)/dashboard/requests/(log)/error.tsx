"use client";

import { PageError } from "@/components/ui/page-error";

export default function RequestLogError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Request log" reset={reset} />;
}
