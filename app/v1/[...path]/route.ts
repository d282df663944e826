// Any other /v1 path — OpenAI-shaped 404 so SDK users see a clear error, not an HTML page.
import { errorResponse, GatewayError } from "@/lib/gateway/errors";
import { newRequestId } from "@/lib/gateway/meter";

export const dynamic = "force-dynamic";

function notFound(request: Request) {
  const path = new URL(request.url).pathname;
  return errorResponse(
    new GatewayError("not_found", `Unknown request URL: ${request.method} ${path}.`),
    newRequestId(),
  );
}

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
