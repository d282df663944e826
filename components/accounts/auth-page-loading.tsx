// What the sign-up, password and verification pages show while they load.
export function AuthPageLoading({ label }: { label: string }) {
  return (
    <main className="mx-auto max-w-sm px-6 py-16" aria-busy="true">
      <p className="sr-only" aria-live="polite">
        {label}
      </p>
      <div className="animate-pulse">
        <div className="h-8 w-3/4 rounded bg-slate-200" />
        <div className="mt-3 h-4 w-full rounded bg-slate-100" />
        <div className="mt-8 grid gap-5">
          {[0, 1, 2].map((i) => (
            <div key={i} className="grid gap-2">
              <div className="h-4 w-24 rounded bg-slate-100" />
              <div className="h-10 rounded-md border border-slate-200 bg-white" />
            </div>
          ))}
          <div className="h-10 rounded-md bg-indigo-200" />
        </div>
      </div>
    </main>
  );
}
