// What a data page shows while its queries run: the title, and grey blocks where data will be.
export function PageSkeleton({ title }: { title: string }) {
  return (
    <div aria-busy="true" aria-live="polite">
      <h1 className="mb-6 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      <p className="sr-only">Loading…</p>
      <div className="grid animate-pulse gap-6">
        <div className="h-28 rounded-lg bg-slate-200/70" />
        <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
          {[0, 1, 2, 3].map((i) => (
            <div key={i} className="h-24 rounded-lg bg-slate-200/70" />
          ))}
        </div>
        <div className="h-72 rounded-lg bg-slate-200/70" />
      </div>
    </div>
  );
}
