import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "@/components/accounts/sign-out-button";
import { DashboardNav, type NavItem } from "@/components/dashboard/nav";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";

export const generateMetadata = adminPageMetadata("Overview");

// The operator's console. The platform-admin check sits here, outside any loading boundary, so a
// tenant gets a real 404 status; every page, action and route checks again on its own.
const ITEMS: NavItem[] = [
  { href: "/admin", label: "Overview", exact: true },
  { href: "/admin/channels", label: "Channels" },
  { href: "/admin/models", label: "Models and prices" },
  { href: "/admin/tenants", label: "Tenants" },
  { href: "/admin/payments", label: "Payments" },
  { href: "/admin/codes", label: "Redemption codes" },
  { href: "/admin/analytics", label: "Analytics" },
  { href: "/admin/audit", label: "Audit log" },
  { href: "/admin/settings", label: "Settings" },
];

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const { user } = await requirePlatformAdmin("/admin");
  const sidebar = (place: "aside" | "menu") => (
    <div className="grid grid-cols-1 gap-6">
      <nav aria-label="Admin">
        <DashboardNav items={ITEMS} />
      </nav>
      <div className="grid gap-1 border-t border-slate-200 pt-4 text-sm">
        <p className="truncate text-slate-500" data-testid={place === "aside" ? "signed-in-as" : undefined}>
          {user.email}
        </p>
        <Link href="/dashboard" className="text-slate-700 hover:text-slate-900">
          Tenant dashboard
        </Link>
        <SignOutButton className="text-left text-slate-700 hover:text-slate-900" />
      </div>
    </div>
  );
  return (
    <div className="min-h-screen bg-slate-50 lg:grid lg:grid-cols-[16rem_1fr]">
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
        <Link href="/admin" className="text-lg font-semibold tracking-tight">
          Token<span className="text-indigo-600">Flow</span> <span className="text-sm text-slate-500">Admin</span>
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
        <Link href="/admin" className="mb-6 block px-3 text-lg font-semibold tracking-tight">
          Token<span className="text-indigo-600">Flow</span> <span className="text-sm text-slate-500">Admin</span>
        </Link>
        {sidebar("aside")}
      </aside>
      <main className="min-w-0 px-4 py-6 sm:px-8 lg:py-8">
        <div className="mx-auto grid max-w-6xl grid-cols-1">{children}</div>
      </main>
    </div>
  );
}
