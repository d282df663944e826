import Link from "next/link";
import { notFound } from "next/navigation";
import { AdminAction } from "@/components/admin/tenants/admin-action";
import { Badge, Card, CardHeader, EmptyState, Notice, PageHeader } from "@/components/ui/card";
import { ApiError } from "@/lib/api/errors";
import { ID_PATTERN } from "@/lib/admin/fields";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { getUserDetail, type UserDetail } from "@/lib/admin/users";
import { formatAgo, formatDateTime } from "@/lib/format";

export const generateMetadata = adminPageMetadata("User");

async function load(id: string): Promise<UserDetail> {
  if (!ID_PATTERN.test(id)) notFound();
  try {
    return await getUserDetail(id);
  } catch (err) {
    if (err instanceof ApiError && err.code === "not_found") notFound();
    throw err;
  }
}

export default async function UserPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user: me } = await requirePlatformAdmin(`/admin/tenants/users/${id}`);
  const { user, memberships, keys } = await load(id);
  const isAdmin = user.platformRole === "ADMIN";
  const isSelf = me.id === user.id;
  const activeKeys = keys.filter((key) => !key.revoked).length;

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href="/admin/tenants" className="text-indigo-700 hover:underline">
          Tenants
        </Link>
      </nav>
      <PageHeader
        title={user.email}
        description={
          <>
            {user.name && <>{user.name} · </>}
            <span className="font-mono">{user.id}</span> · joined {formatDateTime(new Date(user.createdAt))}
          </>
        }
        actions={
          <div className="flex flex-wrap gap-2">
            {isAdmin && <Badge tone="indigo">Platform admin</Badge>}
            {user.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
            {!user.hasPassword && <Badge tone="amber">No password yet</Badge>}
          </div>
        }
      />
      <div className="grid grid-cols-1 gap-6">
        {user.disabled && (
          <Notice tone="error">
            Disabled since {formatDateTime(new Date(user.disabledAt!))}: they cannot sign in, and the keys they created
            are refused.
          </Notice>
        )}

        <Card>
          <CardHeader title="Organizations" description="Where they are a member, and their role there." />
          {memberships.length === 0 ? (
            <EmptyState title="No organizations">They left or were removed from every organization.</EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100">
              {memberships.map((membership) => (
                <li
                  key={membership.organizationId}
                  className="flex flex-wrap items-center justify-between gap-2 px-5 py-3 text-sm"
                >
                  <div className="min-w-0">
                    <Link
                      href={`/admin/tenants/organizations/${membership.organizationId}`}
                      className="font-medium text-indigo-700 hover:underline"
                    >
                      {membership.organizationName}
                    </Link>
                    <p className="text-xs text-slate-500">
                      {membership.personal ? "Personal workspace · " : ""}member since{" "}
                      {formatDateTime(new Date(membership.joinedAt))}
                    </p>
                  </div>
                  <div className="flex gap-2">
                    <Badge tone={membership.role === "OWNER" ? "indigo" : "slate"}>
                      {membership.role.toLowerCase()}
                    </Badge>
                    {membership.organizationDisabled && <Badge tone="red">Organization disabled</Badge>}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card>
          <CardHeader title="API keys they created" description={`${activeKeys} active`} />
          {keys.length === 0 ? (
            <EmptyState title="No keys">They have not created an API key.</EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[36rem] text-left text-sm" data-testid="user-keys">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Key
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Organization
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Last used
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Status
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {keys.map((key) => (
                    <tr key={key.id}>
                      <td className="px-5 py-3">
                        <p className="font-medium text-slate-900">{key.name}</p>
                        <p className="font-mono text-xs text-slate-500">{key.partialKey}</p>
                      </td>
                      <td className="px-5 py-3 text-slate-700">{key.organizationName}</td>
                      <td className="px-5 py-3 whitespace-nowrap text-slate-600">
                        {key.lastUsedAt ? formatAgo(new Date(key.lastUsedAt)) : "Never"}
                      </td>
                      <td className="px-5 py-3">
                        {key.revoked ? (
                          <Badge>Revoked</Badge>
                        ) : user.disabled ? (
                          <Badge tone="red">Refused</Badge>
                        ) : key.scope === "ADMIN" ? (
                          <Badge tone="indigo">Admin key</Badge>
                        ) : (
                          <Badge tone="green">Active</Badge>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>

        <Card>
          <CardHeader
            title="Platform role"
            description={
              isAdmin
                ? "A platform admin runs this console and the management API. There is always at least one active admin."
                : "A user works in their organizations only."
            }
          />
          <div className="p-5">
            {isAdmin ? (
              <AdminAction
                url={`/api/admin/users/${user.id}`}
                body={{ platformRole: "USER" }}
                label="Remove platform admin"
                title={`Remove ${user.email} as platform admin?`}
              >
                {isSelf
                  ? "This is your own account: you will lose access to this console at once."
                  : "They lose access to this console and the management API at once; their admin keys stop working."}
              </AdminAction>
            ) : (
              <AdminAction
                url={`/api/admin/users/${user.id}`}
                body={{ platformRole: "ADMIN" }}
                label="Make platform admin"
                title={`Make ${user.email} a platform admin?`}
                variant="secondary"
              >
                They get this console and the management API: every tenant, every balance, every setting.
              </AdminAction>
            )}
          </div>
        </Card>

        <Card>
          <CardHeader
            title={user.disabled ? "Enable the user" : "Disable the user"}
            description={
              user.disabled
                ? "They can sign in again and the keys they created work again."
                : "They cannot sign in, their sessions end, and the keys they created are refused within a second. Their organizations keep working for other members."
            }
          />
          <div className="p-5">
            {user.disabled ? (
              <AdminAction
                url={`/api/admin/users/${user.id}`}
                body={{ disabled: false }}
                label="Enable user"
                title={`Enable ${user.email}?`}
                variant="secondary"
              >
                They can sign in again.
              </AdminAction>
            ) : (
              <AdminAction
                url={`/api/admin/users/${user.id}`}
                body={{ disabled: true }}
                label="Disable user"
                title={`Disable ${user.email}?`}
              >
                {isSelf ? "This is your own account: you will be signed out. " : ""}
                {activeKeys > 0
                  ? `Their ${activeKeys} active ${activeKeys === 1 ? "key" : "keys"} will be refused at once.`
                  : "They have no active keys."}
              </AdminAction>
            )}
          </div>
        </Card>
      </div>
    </>
  );
}
