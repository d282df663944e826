import Link from "next/link";
import { Badge, Card, CardHeader, EmptyState, PageHeader } from "@/components/ui/card";
import { buttonClass } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/field";
import { auditChanges } from "@/lib/admin/audit-diff";
import { auditLogQuery, listAuditLog } from "@/lib/admin/audit-log";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { formatDateTime } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Audit log");

const FILTERS = [
  { name: "action", label: "Action", placeholder: "channel.update, or channel. for all" },
  { name: "actor", label: "Actor", placeholder: "email or user id" },
  { name: "targetType", label: "Target type", placeholder: "Channel, Model, Organization…" },
  { name: "targetId", label: "Target id", placeholder: "id" },
] as const;

type Search = Partial<Record<"action" | "actor" | "targetType" | "targetId" | "cursor", string>>;

export default async function AuditLogPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requirePlatformAdmin("/admin/audit");
  const search = await searchParams;
  const parsed = auditLogQuery.safeParse({ ...search, limit: 50 });
  const query = parsed.success ? parsed.data : auditLogQuery.parse({ limit: 50 });
  const { data, nextCursor } = await listAuditLog(query);
  const filtered = FILTERS.some((f) => search[f.name]);
  const next = new URLSearchParams(Object.entries({ ...search, cursor: nextCursor ?? "" }).filter(([, v]) => v));

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every admin write: who, when, what changed, and from where. Secrets are never recorded."
      />
      <div className="grid grid-cols-1 gap-6">
        <Card>
          <form className="grid gap-4 p-5 sm:grid-cols-2 lg:grid-cols-5 lg:items-end" method="get">
            {FILTERS.map((filter) => (
              <div key={filter.name} className="grid gap-1.5">
                <label htmlFor={`audit-${filter.name}`} className="text-sm font-medium text-slate-800">
                  {filter.label}
                </label>
                <input
                  id={`audit-${filter.name}`}
                  name={filter.name}
                  defaultValue={search[filter.name] ?? ""}
                  placeholder={filter.placeholder}
                  className={INPUT_CLASS}
                />
              </div>
            ))}
            <div className="flex gap-2">
              <button type="submit" className={buttonClass("primary")}>
                Filter
              </button>
              {filtered && (
                <Link href="/admin/audit" className={buttonClass("ghost")}>
                  Clear
                </Link>
              )}
            </div>
          </form>
        </Card>
        <Card>
          <CardHeader title="Entries" description="Newest first. Times are UTC." />
          {data.length === 0 ? (
            <EmptyState title={filtered ? "No entries match these filters" : "No admin writes yet"}>
              {filtered
                ? "Try a broader filter."
                : "Changes to channels, models, tenants, codes and settings appear here."}
            </EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full min-w-[48rem] text-left text-sm" data-testid="audit-log">
                <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      When
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Actor
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Action
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Target
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Changes
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100 align-top">
                  {data.map((entry) => {
                    const changes = auditChanges(entry.before, entry.after);
                    const details = Object.entries(entry.data).filter(([key]) => key !== "via" && key !== "apiKeyId");
                    return (
                      <tr key={entry.id}>
                        <td className="px-5 py-3 whitespace-nowrap text-slate-700">
                          {formatDateTime(new Date(entry.createdAt))}
                          {entry.ip && <p className="text-xs text-slate-500">from {entry.ip}</p>}
                        </td>
                        <td className="px-5 py-3 text-slate-700">
                          {entry.actor.email ?? "Bootstrap admin key"}
                          <p className="text-xs text-slate-500">{entry.actor.via.replace("_", " ")}</p>
                        </td>
                        <td className="px-5 py-3">
                          <Badge tone="indigo">{entry.action}</Badge>
                        </td>
                        <td className="px-5 py-3 text-slate-700">
                          {entry.target.type}
                          {entry.target.id && (
                            <code className="block text-xs break-all text-slate-500">{entry.target.id}</code>
                          )}
                        </td>
                        <td className="px-5 py-3 text-slate-700">
                          {details.length > 0 && (
                            <p className="mb-1 max-w-md text-xs break-words text-slate-600">
                              {details
                                .map(
                                  ([key, value]) =>
                                    `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`,
                                )
                                .join(" · ")}
                            </p>
                          )}
                          {changes.length === 0 && details.length > 0 ? null : changes.length === 0 ? (
                            <span className="text-slate-400">—</span>
                          ) : (
                            <ul className="grid gap-0.5 text-xs">
                              {changes.map((c) => (
                                <li key={c.field}>
                                  <span className="font-medium text-slate-900">{c.field}</span>:{" "}
                                  {c.before !== null && <span className="text-red-700 line-through">{c.before}</span>}
                                  {c.before !== null && c.after !== null && " → "}
                                  {c.after !== null && <span className="text-emerald-700">{c.after}</span>}
                                </li>
                              ))}
                            </ul>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {nextCursor && (
            <div className="border-t border-slate-100 px-5 py-3 text-right">
              <Link href={`/admin/audit?${next.toString()}`} className={buttonClass("secondary")}>
                Older entries
              </Link>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
