import Link from "next/link";
import type { ReactNode } from "react";

// The signed-in frame shared by the tenant dashboard and the admin console: a sidebar on wide
// screens, a "Menu" disclosure on phones, both holding the same navigation (rendered twice, once per
// place, so ids inside it must be unique per place), and the page in a centred column.

export function AppShell({
  homeHref,
  badge,
  sidebar,
  children,
  contentClassName = "mx-auto max-w-6xl",
}: {
  homeHref: string;
  /** A word after the wordmark, e.g. "Admin". */
  badge?: string;
  sidebar: (place: "aside" | "menu") => ReactNode;
  children: ReactNode;
  contentClassName?: string;
}) {
  const wordmark = (
    <>
      Token<span className="text-indigo-600">Flow</span>
      {badge && <span className="text-sm text-slate-500"> {badge}</span>}
    </>
  );
  return (
    <div className="min-h-screen bg-slate-50 lg:grid lg:grid-cols-[16rem_1fr]">
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
        <Link href={homeHref} className="text-lg font-semibold tracking-tight">
          {wordmark}
        </Link>
        <details className="relative">
          <summary className="cursor-pointer list-none rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium">
            Menu
          </summary>
          <div className="absolute right-0 z-20 mt-2 w-72 rounded-lg border border-slate-200 bg-white p-4 shadow-lg">
            {sidebar("menu")}
          </div>
        </details>
      </header>
      <aside className="hidden min-w-0 border-r border-slate-200 bg-white px-4 py-6 lg:block">
        <Link href={homeHref} className="mb-6 block px-3 text-lg font-semibold tracking-tight">
          {wordmark}
        </Link>
        {sidebar("aside")}
      </aside>
      <main className="min-w-0 px-4 py-6 sm:px-8 lg:py-8">
        <div className={contentClassName}>{children}</div>
      </main>
    </div>
  );
}
