import type { Queryable } from "@/lib/db/hot-path";
import { getPool } from "@/lib/db/pool";
import { encodeCursor, type Cursor } from "./cursor";
import type { UsageFilters } from "./filters";
import { requestLogConditions, SqlParams, timestampParam } from "./sql-where";

// The organization's receipts, newest first, paged by keyset on (createdAt, id): a deep page costs
// the same as the first, and rows written meanwhile never shift a page (no duplicates, no gaps).

export const REQUEST_LOG_PAGE_SIZE = 50;

export interface RequestLogEntry {
  id: string;
  createdAt: Date;
  apiKeyId: string | null;
  keyName: string | null;
  keyPartial: string | null;
  endpoint: string;
  modelRequested: string;
  modelRouted: string | null;
  status: number;
  errorCode: string | null;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costNanos: bigint;
  overageNanos: bigint;
  usageSource: "UPSTREAM" | "ESTIMATED" | "NONE";
  latencyMs: number;
  ttftMs: number | null;
  requestCount: number;
}

export interface RequestLogPage {
  entries: RequestLogEntry[];
  /** Cursor for the page of newer rows (null on the newest page). */
  newer: string | null;
  /** Cursor for the page of older rows (null on the oldest page). */
  older: string | null;
}

// createdAt AT TIME ZONE 'UTC' makes it a timestamptz, which pg parses right whatever the process TZ.
export const ENTRY_COLUMNS = `r.id, r."createdAt" AT TIME ZONE 'UTC' AS "createdAt", r."apiKeyId", k.name AS "keyName",
  k."partialKey" AS "keyPartial", r.endpoint, r."modelRequested", r."modelRouted", r.status, r."errorCode",
  r."inputTokens", r."cachedInputTokens", r."outputTokens", r."costNanos", r."overageNanos", r."usageSource",
  r."latencyMs", r."ttftMs", r."requestCount"`;

export const ENTRY_FROM = `"RequestLog" r LEFT JOIN "ApiKey" k ON k.id = r."apiKeyId" AND k."organizationId" = r."organizationId"`;

/**
 * One page of the log. `before`: rows older than that cursor (the "Older" link); `after`: rows newer
 * than it (the "Newer" link); neither: the newest page.
 */
export async function listRequestLog(
  organizationId: string,
  filters: UsageFilters,
  page: { before?: Cursor | null; after?: Cursor | null; limit?: number } = {},
  db: Queryable = getPool(),
): Promise<RequestLogPage> {
  const limit = page.limit ?? REQUEST_LOG_PAGE_SIZE;
  const params = new SqlParams();
  const where = requestLogConditions(organizationId, filters, params);
  const goingNewer = !page.before && !!page.after;
  const cursor = page.before ?? page.after ?? null;
  if (cursor)
    where.push(
      `(r."createdAt", r.id) ${goingNewer ? ">" : "<"} (${params.add(timestampParam(cursor.createdAt))}::timestamp, ${params.add(cursor.id)})`,
    );
  const order = goingNewer ? `r."createdAt" ASC, r.id ASC` : `r."createdAt" DESC, r.id DESC`;
  const { rows } = await db.query<RequestLogEntry>({
    text: `SELECT ${ENTRY_COLUMNS} FROM ${ENTRY_FROM} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ${params.add(limit + 1)}`,
    values: params.values,
  });
  const hasMore = rows.length > limit;
  const entries = rows.slice(0, limit);
  if (goingNewer) entries.reverse();
  const first = entries[0];
  const last = entries[entries.length - 1];
  const cursorOf = (e: RequestLogEntry) => encodeCursor({ createdAt: e.createdAt, id: e.id });
  return {
    entries,
    newer: first && (goingNewer ? hasMore : !!cursor) ? cursorOf(first) : null,
    older: last && (goingNewer ? true : hasMore) ? cursorOf(last) : null,
  };
}
