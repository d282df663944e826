"use client";

import { PageError } from "@/components/ui/page-error";

export default function UserError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="User" reset={reset} />;
}
