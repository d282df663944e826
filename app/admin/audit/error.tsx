"use client";

import { PageError } from "@/components/ui/page-error";

export default function AuditError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Audit log" reset={reset} />;
}
