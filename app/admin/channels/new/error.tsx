"use client";

import { PageError } from "@/components/ui/page-error";

export default function NewChannelError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Add channel" reset={reset} />;
}
