// GET /api/admin/stripe-events?type=&result=&cursor=&limit= — webhook events we processed and their result, newest first.
import { listStripeEvents, listStripeEventsQuery } from "@/lib/admin/payments";
import { json, parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) =>
  json(await listStripeEvents(parseQuery(request, listStripeEventsQuery))),
);
