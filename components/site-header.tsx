import Link from "next/link";

export function SiteHeader() {
  return (
    <header className="border-b border-slate-200">
      <nav className="mx-auto flex max-w-5xl items-center justify-between px-6 py-4">
        <Link href="/" className="text-lg font-semibold tracking-tight">
          Token<span className="text-indigo-600">Flow</span>
        </Link>
        <div className="flex items-center gap-6 text-sm text-slate-600">
          <Link href="/pricing" className="hover:text-slate-900">
            Pricing
          </Link>
          <Link href="/#quick-start" className="hover:text-slate-900">
            Quick start
          </Link>
        </div>
      </nav>
    </header>
  );
}
