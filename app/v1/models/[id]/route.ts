// GET /v1/models/{id} — one model, if this key may use it.
import { handleRetrieveModel } from "@/lib/gateway/models-endpoint";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handleRetrieveModel(request, (await params).id);
}
