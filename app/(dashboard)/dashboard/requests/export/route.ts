// GET /dashboard/requests/export — the request log as a CSV download, same filters as the page, streamed.
import { getTenantContext, hasRole } from "@/lib/tenancy/context";
import { exportFileName, streamRequestLogCsv } from "@/lib/usage/csv-export";
import { parseUsageFilters } from "@/lib/usage/filters";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  const context = await getTenantContext();
  if (!context || !hasRole(context.organization.role, "MEMBER"))
    return Response.json({ error: { code: "unauthorized", message: "Sign in to export requests." } }, { status: 401 });
  const filters = parseUsageFilters(Object.fromEntries(new URL(request.url).searchParams));
  return new Response(streamRequestLogCsv(context.organization.id, filters), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${exportFileName(filters)}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
