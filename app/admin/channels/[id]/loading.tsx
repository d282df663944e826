export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite" className="grid gap-6">
      <span className="sr-only">Loading…</span>
      <div className="h-8 w-40 animate-pulse rounded bg-slate-200" />
      <div className="h-[32rem] animate-pulse rounded-lg border border-slate-200 bg-white" />
    </div>
  );
}
