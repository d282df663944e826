// POST /api/admin/payments/{id}/fulfill — run the one fulfilment path again for a top-up (credits at most once; audited).
import { rerunFulfilment } from "@/lib/admin/payments";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ params, admin }) =>
  json(await rerunFulfilment(params.id, admin)),
);
