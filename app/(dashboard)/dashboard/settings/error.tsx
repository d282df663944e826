"use client";

import { Button } from "@/components/ui/button";
import { Card, EmptyState } from "@/components/ui/card";

// A failure while loading this page (e.g. the database is unreachable): say so, offer a retry.
export default function PageError({ reset }: { error: Error; reset: () => void }) {
  return (
    <Card>
      <EmptyState
        title="This page could not be loaded"
        action={
          <Button type="button" onClick={reset}>
            Try again
          </Button>
        }
      >
        Something went wrong on our side. Your data is safe; try again in a moment.
      </EmptyState>
    </Card>
  );
}
