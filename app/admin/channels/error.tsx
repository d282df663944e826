"use client";

import { PageError } from "@/components/ui/page-error";

export default function ChannelsError({ reset }: { error: Error; reset: () => void }) {
  return <PageError title="Channels" reset={reset} />;
}
