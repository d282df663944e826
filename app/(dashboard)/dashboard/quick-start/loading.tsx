// Shown while the quick start loads: its three cards, announced as loading.
export default function QuickStartLoading() {
  return (
    <div role="status" aria-live="polite" className="grid animate-pulse gap-6">
      <span className="sr-only">Loading…</span>
      <div className="h-8 w-40 rounded bg-slate-200" />
      {[0, 1, 2].map((i) => (
        <div key={i} className="h-40 rounded-lg border border-slate-200 bg-white" />
      ))}
    </div>
  );
}
