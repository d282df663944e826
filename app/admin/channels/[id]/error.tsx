"use client";

import { PageError } from "@/components/ui/page-error";

export default function ChannelError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Channel" reset={reset} />;
}
