import Link from "next/link";
import { AppShell } from "@/components/ui/app-shell";
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
    <AppShell homeHref="/dashboard" sidebar={sidebar}>
      {children}
    </AppShell>
  );
}
