// GET /api/admin/audit-log?action=&actor=&targetType=&targetId=&from=&to=&cursor=&limit= — every admin write, newest first.
import { auditLogQuery, listAuditLog } from "@/lib/admin/audit-log";
import { json, parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) => json(await listAuditLog(parseQuery(request, auditLogQuery))));
