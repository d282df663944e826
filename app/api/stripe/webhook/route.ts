import { handleStripeWebhook } from "@/lib/billing/stripe/webhook";
import { readCappedBytes } from "@/lib/http/read-capped-body";

// POST /api/stripe/webhook: Stripe's events, verified on the raw bytes (lib/billing/stripe/webhook.ts).
const MAX_EVENT_BYTES = 1024 * 1024;

export async function POST(request: Request): Promise<Response> {
  const body = await readCappedBytes(request, MAX_EVENT_BYTES);
  if (body === null) return Response.json({ error: { message: "Event too large." } }, { status: 413 });
  const answer = await handleStripeWebhook(body, request.headers.get("stripe-signature"));
  return Response.json(answer.body, { status: answer.status, headers: { "cache-control": "no-store" } });
}
