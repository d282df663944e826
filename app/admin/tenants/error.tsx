"use client";

import { PageError } from "@/components/ui/page-error";

export default function TenantsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Tenants" reset={reset} />;
}
