// Shown while the playground loads the organization's keys and their models.
export default function PlaygroundLoading() {
  return (
    <div role="status" aria-live="polite" className="grid animate-pulse gap-6">
      <span className="sr-only">Loading…</span>
      <div className="h-8 w-40 rounded bg-slate-200" />
      <div className="grid gap-6 lg:grid-cols-[18rem_1fr]">
        <div className="h-80 rounded-lg border border-slate-200 bg-white" />
        <div className="h-[28rem] rounded-lg border border-slate-200 bg-white" />
      </div>
    </div>
  );
}
