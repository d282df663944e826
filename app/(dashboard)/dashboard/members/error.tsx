"use client";

import { PageError } from "@/components/ui/page-error";

export default function MembersError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Members" reset={reset} />;
}
