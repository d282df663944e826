// POST /api/admin/organizations/{id}/clear-review — clear the billing-review flag a dispute set ({ "note"?: string }; audited).
import { clearOrganizationReview, clearReviewSchema } from "@/lib/admin/payments";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await clearOrganizationReview(params.id, await parseBody(request, clearReviewSchema), admin)),
);
