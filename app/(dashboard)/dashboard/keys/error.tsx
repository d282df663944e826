"use client";

import { Button } from "@/components/ui/button";
import { Notice, PageHeader } from "@/components/ui/card";

// Something failed while loading or changing keys (the database, most likely): say so, offer a retry.
export default function KeysError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <>
      <PageHeader title="API keys" />
      <div className="grid gap-4">
        <Notice tone="error">The API keys could not be loaded or changed just now. Nothing was lost; try again.</Notice>
        <div>
          <Button onClick={reset}>Try again</Button>
        </div>
      </div>
    </>
  );
}
