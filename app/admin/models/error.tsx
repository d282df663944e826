"use client";

import { PageError } from "@/components/ui/page-error";

export default function AdminModelsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Models and prices" reset={reset} />;
}
