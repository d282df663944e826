"use client";

import { PageError } from "@/components/ui/page-error";

export default function KeysError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="API keys" reset={reset} />;
}
