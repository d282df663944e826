"use client";

import { Button } from "@/components/ui/button";

// A dashboard page that failed to load: say so (never the internal message), and offer a retry.
export default function DashboardError({ reset }: { error: Error; reset: () => void }) {
  return (
    <div role="alert" className="grid justify-items-start gap-3 rounded-lg border border-red-200 bg-red-50 p-6">
      <h1 className="text-lg font-semibold text-red-900">This page could not be loaded</h1>
      <p className="text-sm text-red-800">Something went wrong on our side. Try again in a moment.</p>
      <Button variant="secondary" onClick={reset}>
        Try again
      </Button>
    </div>
  );
}
