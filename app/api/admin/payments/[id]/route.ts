// GET /api/admin/payments/{id} — one top-up with its status and Stripe ids.
import { getPayment } from "@/lib/admin/payments";
import { notFound } from "@/lib/api/errors";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => {
  const payment = await getPayment(params.id);
  if (!payment) throw notFound("Top-up");
  return json(payment);
});
