"use client";

import { PageError } from "@/components/ui/page-error";

export default function OrganizationError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Organization" reset={reset} />;
}
