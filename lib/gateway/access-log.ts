// The access log of the API (/v1, and the playground's billed chat): one line per completed request,
// written where its receipt (the "RequestLog" row) is made, so it carries what the receipt knows.
// The key is named by its database id, never by the key itself. Requests refused before a key was
// known (401) have no receipt and no line here. Cheap on the hot path: one flat object per request,
// and none at all when the level is above info. Its lines are written in batches (bufferedLogger):
// up to 100 ms late, and a kill -9 can lose the last of them; the receipts are the durable record.
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
