// GET /v1/models — the models this key may use.
import { handleListModels } from "@/lib/gateway/models-endpoint";

export const dynamic = "force-dynamic";

export function GET(request: Request) {
  return handleListModels(request);
}
