// GET /api/admin/payments?status=&kind=&organization=&stuck=true&cursor=&limit= — top-ups across tenants, newest first.
import { listPayments, listPaymentsQuery } from "@/lib/admin/payments";
import { json, parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) => json(await listPayments(parseQuery(request, listPaymentsQuery))));
