"use client";

import Link from "next/link";
import { useRef } from "react";
import { switchOrganization } from "@/lib/tenancy/actions";
import type { OrganizationSummary } from "@/lib/tenancy/context";

/** Switches the active organization; submits on change, with a button for keyboards without JS. */
export function OrgSwitcher({
  organizations,
  activeId,
  id = "org-switcher",
}: {
  organizations: OrganizationSummary[];
  activeId: string;
  /** Unique per copy on the page (the layout renders one in the phone menu and one in the sidebar). */
  id?: string;
}) {
  const form = useRef<HTMLFormElement>(null);
  return (
    <form ref={form} action={switchOrganization} className="grid min-w-0 gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-500 uppercase">
        Organization
      </label>
      <div className="flex min-w-0 gap-2">
        <select
          id={id}
          name="organizationId"
          defaultValue={activeId}
          onChange={() => form.current?.requestSubmit()}
          className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
        >
          {organizations.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name} {o.personal ? "(personal)" : ""} · {o.role.toLowerCase()}
            </option>
          ))}
        </select>
        <noscript>
          <button type="submit" className="rounded-md border border-slate-300 px-2 text-sm">
            Switch
          </button>
        </noscript>
      </div>
      <Link
        href="/dashboard/settings#create-organization"
        className="justify-self-start text-xs font-medium text-indigo-700 hover:text-indigo-600"
      >
        New organization
      </Link>
    </form>
  );
}
