// Shown while the keys load: the page's shape, announced as busy.
export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite" className="grid gap-6">
      <p className="sr-only">Loading API keys…</p>
      <div className="h-8 w-48 animate-pulse rounded bg-slate-200" />
      <div className="h-4 w-full max-w-xl animate-pulse rounded bg-slate-200" />
      <div className="grid gap-3 rounded-lg border border-slate-200 bg-white p-5">
        {[0, 1, 2].map((i) => (
          <div key={i} className="h-12 animate-pulse rounded bg-slate-100" />
        ))}
      </div>
    </div>
  );
}
