"use client";

import { PageError } from "@/components/usage/page-error";

export default function RequestsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Request log" reset={reset} />;
}
