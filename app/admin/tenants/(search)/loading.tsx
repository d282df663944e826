export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite" className="grid gap-6">
      <span className="sr-only">Loading tenants…</span>
      <div className="h-8 w-40 animate-pulse rounded bg-slate-200" />
      <div className="h-10 animate-pulse rounded bg-slate-200" />
      {[0, 1].map((i) => (
        <div key={i} className="h-64 animate-pulse rounded-lg border border-slate-200 bg-white" />
      ))}
    </div>
  );
}
