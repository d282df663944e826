import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "@/components/accounts/sign-out-button";
import { DashboardNav, type NavItem } from "@/components/dashboard/nav";
import { OrgSwitcher } from "@/components/dashboard/org-switcher";
import { hasRole, requireTenant } from "@/lib/tenancy/context";

// The signed-in product: a sidebar (a menu on phones) with the organization switcher and the
// sections this member's role may open; every page below re-checks its own role on the server.
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const { user, organization, organizations } = await requireTenant();
  const items: NavItem[] = [
    { href: "/dashboard", label: "Overview" },
    { href: "/dashboard/keys", label: "API keys" },
    { href: "/dashboard/usage", label: "Usage" },
    { href: "/dashboard/requests", label: "Request log" },
    { href: "/dashboard/playground", label: "Playground" },
    { href: "/dashboard/quick-start", label: "Quick start" },
    { href: "/billing", label: "Billing" },
    ...(hasRole(organization.role, "ADMIN") ? [{ href: "/dashboard/members", label: "Members" }] : []),
    { href: "/dashboard/settings", label: "Settings" },
  ];
  const sidebar = (place: "aside" | "menu") => (
    <div className="grid grid-cols-1 gap-6">
      <OrgSwitcher organizations={organizations} activeId={organization.id} id={`org-switcher-${place}`} />
      <nav aria-label="Dashboard">
        <DashboardNav items={items} />
      </nav>
      <div className="grid gap-1 border-t border-slate-200 pt-4 text-sm">
        <p className="truncate text-slate-500" data-testid={place === "aside" ? "signed-in-as" : undefined}>
          {user.email}
        </p>
        <Link href="/dashboard/account" className="text-slate-700 hover:text-slate-900">
          Account
        </Link>
        <SignOutButton className="text-left text-slate-700 hover:text-slate-900" />
      </div>
    </div>
  );
  return (
    <div className="min-h-screen bg-slate-50 lg:grid lg:grid-cols-[16rem_1fr]">
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
        <Link href="/dashboard" className="text-lg font-semibold tracking-tight">
          Token<span className="text-indigo-600">Flow</span>
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
        <Link href="/dashboard" className="mb-6 block px-3 text-lg font-semibold tracking-tight">
          Token<span className="text-indigo-600">Flow</span>
        </Link>
        {sidebar("aside")}
      </aside>
      <main className="min-w-0 px-4 py-6 sm:px-8 lg:py-8">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}
