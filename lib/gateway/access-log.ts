// The access log of the API (/v1, and the playground's billed chat): one line per completed request,
// written where its receipt (the "RequestLog" row) is made, so it carries what the receipt knows.
// The key is named by its database id, never by the key itself. Requests refused before a key was
// known (401) have no receipt: the router writes their line, which says where they came from.
// Cheap on the hot path: one flat object per request, and none at all when the level is above
// info. Its lines are written in batches (bufferedLogger): up to 100 ms late, and a kill -9 can
// lose the last of them; the receipts are the durable record.
import type { RequestLogRow } from "@/lib/billing/request-log";
import { bufferedLogger } from "@/lib/log";

const log = bufferedLogger("access");

export function logCompletedRequest(row: RequestLogRow): void {
  if (!log.isLevelEnabled("info")) return;
  log.info(
    {
      requestId: row.id,
      organizationId: row.organizationId,
      keyId: row.apiKeyId,
      endpoint: row.endpoint,
      model: row.modelRouted ?? row.modelRequested,
      channelId: row.channelId,
      stream: row.isStream,
      status: row.status,
      errorCode: row.errorCode,
      latencyMs: row.latencyMs,
      ttftMs: row.ttftMs,
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      costNanos: row.costNanos.toString(), // a bigint: JSON has no integer that holds every value
      attempts: row.attempts,
    },
    "request",
  );
}

export interface UnauthenticatedRequest {
  requestId: string | undefined;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  /** The trusted proxy header's address, else the socket's (see client-ip.ts). */
  clientIp: string;
}

/**
 * A /v1 request refused because its key was not accepted (missing, wrong, revoked or expired). It
 * has no receipt, so this line is its only trace: where it came from, never what key it tried.
 */
export function logUnauthenticatedRequest(request: UnauthenticatedRequest): void {
  if (!log.isLevelEnabled("info")) return;
  log.info(
    {
      requestId: request.requestId,
      organizationId: null,
      keyId: null,
      method: request.method,
      path: request.path,
      status: request.status,
      latencyMs: request.latencyMs,
      clientIp: request.clientIp,
    },
    "request",
  );
}
