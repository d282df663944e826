import Link from "next/link";
import { CreateUserForm } from "@/components/admin/tenants/create-user-form";
import { buttonClass } from "@/components/ui/button";
import { Badge, Card, CardHeader, EmptyState, PageHeader } from "@/components/ui/card";
import { INPUT_CLASS } from "@/components/ui/field";
import { ID_PATTERN } from "@/lib/admin/fields";
import { listOrganizations } from "@/lib/admin/organizations";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { listUsers } from "@/lib/admin/users";
import { usdToNanos } from "@/lib/billing/money";
import { formatDate, formatUsd } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Tenants");

const PAGE_SIZE = 20;

type Search = { q?: string; orgCursor?: string; userCursor?: string };

/** A search term as the API accepts it: trimmed, bounded, no control characters. */
function cleanQuery(value: string | undefined): string | undefined {
  const q = value?.trim().slice(0, 200);
  return q && !/[\u0000-\u001f\u007f]/.test(q) ? q : undefined;
}
const cleanCursor = (value: string | undefined) => (value && ID_PATTERN.test(value) ? value : undefined);

function pageHref(search: Search, patch: Partial<Search>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...search, ...patch })) if (value) params.set(key, value);
  const query = params.toString();
  return `/admin/tenants${query ? `?${query}` : ""}`;
}

export default async function TenantsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requirePlatformAdmin("/admin/tenants");
  const raw = await searchParams;
  const search: Search = {
    q: cleanQuery(raw.q),
    orgCursor: cleanCursor(raw.orgCursor),
    userCursor: cleanCursor(raw.userCursor),
  };
  const [organizations, users] = await Promise.all([
    listOrganizations({ q: search.q, cursor: search.orgCursor, limit: PAGE_SIZE }),
    listUsers({ q: search.q, cursor: search.userCursor, limit: PAGE_SIZE }),
  ]);

  return (
    <>
      <PageHeader
        title="Tenants"
        description="Organizations and users: find one by name, email or id, adjust credit, disable."
      />
      <div className="grid grid-cols-1 gap-6">
        <form method="get" action="/admin/tenants" role="search" className="flex flex-wrap items-end gap-3">
          <div className="grid min-w-0 flex-1 gap-1.5">
            <label htmlFor="tenant-search" className="text-sm font-medium text-slate-800">
              Search organizations and users
            </label>
            <input
              id="tenant-search"
              name="q"
              type="search"
              defaultValue={search.q ?? ""}
              placeholder="Email, name or id"
              className={INPUT_CLASS}
            />
          </div>
          <button type="submit" className={buttonClass("primary")}>
            Search
          </button>
          {search.q && (
            <Link href="/admin/tenants" className={buttonClass("ghost")}>
              Clear
            </Link>
          )}
        </form>

        <Card>
          <CardHeader
            title="Organizations"
            description={search.q ? `Matching “${search.q}” (name, id or a member's email)` : "Newest first"}
          />
          {organizations.data.length === 0 ? (
            <EmptyState title={search.q ? "No organization matches" : "No organizations yet"}>
              {search.q ? "Try part of the name, a member's email, or the full id." : "Every sign-up creates one."}
            </EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[40rem] text-left text-sm" data-testid="organization-results">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Organization
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Balance
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Keys
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Status
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Created
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {organizations.data.map((org) => (
                    <tr key={org.id}>
                      <td className="px-5 py-3">
                        <Link
                          href={`/admin/tenants/organizations/${org.id}`}
                          className="font-medium text-indigo-700 hover:underline"
                        >
                          {org.name}
                        </Link>
                        <p className="font-mono text-xs text-slate-500">{org.id}</p>
                      </td>
                      <td className="px-5 py-3 text-right tabular-nums">{formatUsd(usdToNanos(org.balanceUsd))}</td>
                      <td className="px-5 py-3 text-right tabular-nums">{org.keyCount}</td>
                      <td className="px-5 py-3">
                        {org.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
                      </td>
                      <td className="px-5 py-3 whitespace-nowrap text-slate-600">
                        {formatDate(new Date(org.createdAt))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager
            label="organizations"
            previous={search.orgCursor ? pageHref(search, { orgCursor: undefined }) : null}
            next={organizations.nextCursor ? pageHref(search, { orgCursor: organizations.nextCursor }) : null}
          />
        </Card>

        <Card>
          <CardHeader
            title="Users"
            description={search.q ? `Matching “${search.q}” (email, name or id)` : "Newest first"}
          />
          {users.data.length === 0 ? (
            <EmptyState title={search.q ? "No user matches" : "No users yet"}>
              {search.q ? "Try part of the email or name, or the full id." : "Create one below."}
            </EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[40rem] text-left text-sm" data-testid="user-results">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      User
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Role
                    </th>
                    <th scope="col" className="px-5 py-2 text-right font-medium">
                      Organizations
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Status
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Joined
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {users.data.map((user) => (
                    <tr key={user.id}>
                      <td className="px-5 py-3">
                        <Link
                          href={`/admin/tenants/users/${user.id}`}
                          className="font-medium text-indigo-700 hover:underline"
                        >
                          {user.email}
                        </Link>
                        {user.name && <p className="text-xs text-slate-500">{user.name}</p>}
                      </td>
                      <td className="px-5 py-3">
                        {user.platformRole === "ADMIN" ? <Badge tone="indigo">Platform admin</Badge> : "User"}
                      </td>
                      <td className="px-5 py-3 text-right tabular-nums">{user.organizationCount}</td>
                      <td className="px-5 py-3">
                        {user.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
                      </td>
                      <td className="px-5 py-3 whitespace-nowrap text-slate-600">
                        {formatDate(new Date(user.createdAt))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager
            label="users"
            previous={search.userCursor ? pageHref(search, { userCursor: undefined }) : null}
            next={users.nextCursor ? pageHref(search, { userCursor: users.nextCursor }) : null}
          />
        </Card>

        <Card id="new-user">
          <CardHeader
            title="Add a user"
            description="The account gets its own personal organization, as at sign-up, with the platform's starting credit."
          />
          <div className="p-5">
            <CreateUserForm />
          </div>
        </Card>
      </div>
    </>
  );
}

function Pager({ label, previous, next }: { label: string; previous: string | null; next: string | null }) {
  if (!previous && !next) return null;
  return (
    <nav aria-label={`Pages of ${label}`} className="flex justify-between gap-3 border-t border-slate-100 px-5 py-3">
      {previous ? (
        <Link href={previous} className={buttonClass("secondary")}>
          First page
        </Link>
      ) : (
        <span />
      )}
      {next && (
        <Link href={next} className={buttonClass("secondary")} aria-label={`Next page of ${label}`}>
          Next page
        </Link>
      )}
    </nav>
  );
}
