import Link from "next/link";
import { getSessionUser } from "@/lib/auth/session";

export async function SiteHeader() {
  const user = await getSessionUser().catch(() => null);
  return (
    <header className="border-b border-slate-200">
      <nav className="mx-auto flex max-w-5xl items-center justify-between gap-4 px-4 py-4 sm:px-6">
        <Link href="/" className="shrink-0 text-lg font-semibold tracking-tight">
          Token<span className="text-indigo-600">Flow</span>
        </Link>
        <div className="flex min-w-0 items-center gap-3 text-sm whitespace-nowrap text-slate-600 sm:gap-6">
          <Link href="/pricing" className="hover:text-slate-900">
            Pricing
          </Link>
          <Link href="/#quick-start" className="hidden hover:text-slate-900 sm:inline">
            Quick start
          </Link>
          {user ? (
            <Link
              href="/dashboard"
              className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500"
            >
              Dashboard
            </Link>
          ) : (
            <>
              <Link href="/login" className="hover:text-slate-900">
                Sign in
              </Link>
              <Link
                href="/signup"
                className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500"
              >
                Create account
              </Link>
            </>
          )}
        </div>
      </nav>
    </header>
  );
}
