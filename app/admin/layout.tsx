import Link from "next/link";
import { AppShell } from "@/components/ui/app-shell";
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
    <AppShell homeHref="/admin" badge="Admin" sidebar={sidebar} contentClassName="mx-auto grid max-w-6xl grid-cols-1">
      {children}
    </AppShell>
  );
}
