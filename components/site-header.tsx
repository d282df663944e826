import Link from "next/link";
import { getSessionUser } from "@/lib/auth/session";

export async function SiteHeader() {
  const user = await getSessionUser().catch(() => null);
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
          {user ? (
            <>
              <span data-testid="signed-in-as" className="text-slate-900">
                {user.email}
              </span>
              <Link href="/api/auth/signout" className="hover:text-slate-900">
                Sign out
              </Link>
            </>
          ) : (
            <Link href="/login" className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-50">
              Sign in
            </Link>
          )}
        </div>
      </nav>
    </header>
  );
}
