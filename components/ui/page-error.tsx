"use client";

import { buttonClass } from "@/components/ui/button";

// Every dashboard error boundary: the page's heading, what happened in plain words (never the
// internal message), and a retry.
export function PageError({ title, reset }: { title: string; reset: () => void }) {
  return (
    <div>
      <h1 className="mb-6 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-6 text-sm text-red-800">
        <p className="font-medium">This page could not be loaded.</p>
        <p className="mt-1">The data is safe; the server could not read it just now. Please try again.</p>
        <button type="button" onClick={reset} className={`${buttonClass("secondary")} mt-4`}>
          Try again
        </button>
      </div>
    </div>
  );
}
