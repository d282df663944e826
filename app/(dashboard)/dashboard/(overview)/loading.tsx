// Shown while the overview loads. It lives in the (overview) group, not above every dashboard page:
// a loading boundary makes Next stream a 200 before a page can call notFound(), and pages such as
// /dashboard/keys/[id] must answer another organization's id with a real 404.
export default function DashboardLoading() {
  return (
    <div role="status" aria-live="polite" className="grid animate-pulse gap-6">
      <span className="sr-only">Loading…</span>
      <div className="h-8 w-48 rounded bg-slate-200" />
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="h-24 rounded-lg border border-slate-200 bg-white" />
        ))}
      </div>
      <div className="h-72 rounded-lg border border-slate-200 bg-white" />
    </div>
  );
}
