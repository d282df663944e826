import type { Queryable } from "@/lib/db/hot-path";
import { getPool } from "@/lib/db/pool";
import { nanosToUsdFixed } from "@/lib/billing/money";
import type { Cursor } from "./cursor";
import type { UsageFilters } from "./filters";
import { ENTRY_COLUMNS, ENTRY_FROM, type RequestLogEntry } from "./request-log";
import { requestLogConditions, SqlParams, timestampParam } from "./sql-where";

// The request log as CSV, streamed: rows are read in keyset batches (newest first) only when the
// client is ready for more, so an export of millions of receipts holds one batch in memory.
// One row per receipt. An aggregated receipt of refused requests (requestCount > 1, see
// lib/billing/refusals.ts) stays one row, with request_count saying how many requests it stands
// for; refusals cost nothing, so sum(cost_usd) is the organization's charges, exactly.

export const CSV_BATCH_SIZE = 5_000;

export const CSV_COLUMNS = [
  "request_id",
  "created_at",
  "key",
  "key_id",
  "status",
  "requested_model",
  "model",
  "input_tokens",
  "cached_input_tokens",
  "output_tokens",
  "cost_usd",
  "overage_usd",
  "usage_source",
  "request_count",
] as const;

/** A CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(entry: RequestLogEntry): string {
  return [
    entry.id,
    entry.createdAt.toISOString(),
    csvField(entry.keyName ?? ""),
    entry.apiKeyId ?? "",
    String(entry.status),
    csvField(entry.modelRequested),
    csvField(entry.modelRouted ?? ""),
    String(entry.inputTokens),
    String(entry.cachedInputTokens),
    String(entry.outputTokens),
    nanosToUsdFixed(entry.costNanos),
    nanosToUsdFixed(entry.overageNanos),
    entry.usageSource,
    String(entry.requestCount),
  ].join(",");
}

/** One batch of receipts older than `after` (or the newest), in export order. */
export async function readExportBatch(
  organizationId: string,
  filters: UsageFilters,
  after: Cursor | null,
  limit: number,
  db: Queryable,
): Promise<RequestLogEntry[]> {
  const params = new SqlParams();
  const where = requestLogConditions(organizationId, filters, params);
  if (after)
    where.push(
      `(r."createdAt", r.id) < (${params.add(timestampParam(after.createdAt))}::timestamp, ${params.add(after.id)})`,
    );
  const { rows } = await db.query<RequestLogEntry>({
    text: `SELECT ${ENTRY_COLUMNS} FROM ${ENTRY_FROM} WHERE ${where.join(" AND ")}
            ORDER BY r."createdAt" DESC, r.id DESC LIMIT ${params.add(limit)}`,
    values: params.values,
  });
  return rows;
}

export function streamRequestLogCsv(
  organizationId: string,
  filters: UsageFilters,
  opts: { batchSize?: number; db?: Queryable } = {},
): ReadableStream<Uint8Array> {
  const batchSize = opts.batchSize ?? CSV_BATCH_SIZE;
  const db = opts.db ?? getPool();
  const encoder = new TextEncoder();
  let cursor: Cursor | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(",")}\r\n`));
          return;
        }
        const rows = await readExportBatch(organizationId, filters, cursor, batchSize, db);
        if (rows.length > 0) {
          controller.enqueue(encoder.encode(rows.map((row) => `${csvRow(row)}\r\n`).join("")));
          const last = rows[rows.length - 1];
          cursor = { createdAt: last.createdAt, id: last.id };
        }
        if (rows.length < batchSize) controller.close();
      },
    },
    { highWaterMark: 1 }, // one batch ahead at most: memory stays flat however large the export
  );
}

/** The download's file name: tokenflow-requests-<from>-to-<to>.csv */
export function exportFileName(filters: UsageFilters): string {
  return `tokenflow-requests-${filters.fromDay}-to-${filters.toDay}.csv`;
}
