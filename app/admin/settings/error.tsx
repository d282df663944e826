"use client";

import { PageError } from "@/components/ui/page-error";

export default function AdminSettingsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Settings" reset={reset} />;
}
