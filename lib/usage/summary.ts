import type { Queryable } from "@/lib/db/hot-path";
import { getPool } from "@/lib/db/pool";
import type { UsageFilters } from "./filters";

// Spend and tokens per model and per day for the usage page, read from the daily rollup that
// settlement keeps in the same transaction as each ledger charge (so it agrees with the ledger to
// the nano) instead of scanning millions of receipts.

export interface ModelUsage {
  model: string;
  displayName: string | null;
  requests: bigint;
  failedRequests: bigint;
  inputTokens: bigint;
  cachedInputTokens: bigint;
  outputTokens: bigint;
  costNanos: bigint;
  /** Current list prices per 1M tokens (null: the model is no longer in the price table). */
  prices: { inputPriceNanos: bigint; cachedInputPriceNanos: bigint; outputPriceNanos: bigint } | null;
}

export interface DayModelUsage {
  day: string; // YYYY-MM-DD
  model: string;
  requests: bigint;
  failedRequests: bigint;
  costNanos: bigint;
}

export type UsageTotals = Omit<ModelUsage, "model" | "displayName" | "prices">;

export interface UsageSummary {
  byModel: ModelUsage[];
  byDay: DayModelUsage[];
  totals: UsageTotals;
}

interface Row {
  day: string;
  model: string;
  requests: bigint;
  failedRequests: bigint;
  inputTokens: bigint;
  cachedInputTokens: bigint;
  outputTokens: bigint;
  costNanos: bigint;
}

export async function getUsageSummary(
  organizationId: string,
  filters: UsageFilters,
  db: Queryable = getPool(),
): Promise<UsageSummary> {
  const { rows } = await db.query<Row>({
    text: `SELECT to_char(u.day, 'YYYY-MM-DD') AS day, u.model,
                  sum(u.requests)::bigint AS requests, sum(u."failedRequests")::bigint AS "failedRequests",
                  sum(u."inputTokens")::bigint AS "inputTokens", sum(u."cachedInputTokens")::bigint AS "cachedInputTokens",
                  sum(u."outputTokens")::bigint AS "outputTokens", sum(u."costNanos")::bigint AS "costNanos"
             FROM "UsageDaily" u
            WHERE u."organizationId" = $1 AND u.day BETWEEN $2::date AND $3::date
              AND ($4::text IS NULL OR u."apiKeyId" = $4)
              AND ($5::text IS NULL OR u."apiKeyId" IN
                     (SELECT k.id FROM "ApiKey" k WHERE k."organizationId" = $1 AND k."createdById" = $5))
              AND ($6::text IS NULL OR u.model = $6)
            GROUP BY u.day, u.model
            ORDER BY u.day, u.model`,
    values: [organizationId, filters.fromDay, filters.toDay, filters.keyId, filters.memberId, filters.model],
  });
  const totals: UsageTotals = emptyTotals();
  const models = new Map<string, ModelUsage>();
  for (const row of rows) {
    let usage = models.get(row.model);
    if (!usage) {
      usage = { model: row.model, displayName: null, prices: null, ...emptyTotals() };
      models.set(row.model, usage);
    }
    addTo(usage, row);
    addTo(totals, row);
  }
  const byModel = [...models.values()];
  if (byModel.length > 0) await attachPrices(byModel, db);
  byModel.sort((a, b) =>
    b.costNanos > a.costNanos ? 1 : b.costNanos < a.costNanos ? -1 : a.model.localeCompare(b.model),
  );
  return {
    byModel,
    byDay: rows.map(({ day, model, requests, failedRequests, costNanos }) => ({
      day,
      model,
      requests,
      failedRequests,
      costNanos,
    })),
    totals,
  };
}

async function attachPrices(byModel: ModelUsage[], db: Queryable) {
  const { rows } = await db.query<{
    id: string;
    displayName: string;
    inputPriceNanos: bigint;
    cachedInputPriceNanos: bigint | null;
    outputPriceNanos: bigint;
  }>({
    text: `SELECT id, "displayName", "inputPriceNanos", "cachedInputPriceNanos", "outputPriceNanos" FROM "Model" WHERE id = ANY($1)`,
    values: [byModel.map((m) => m.model)],
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const usage of byModel) {
    const model = byId.get(usage.model);
    if (!model) continue;
    usage.displayName = model.displayName;
    usage.prices = {
      inputPriceNanos: model.inputPriceNanos,
      cachedInputPriceNanos: model.cachedInputPriceNanos ?? model.inputPriceNanos,
      outputPriceNanos: model.outputPriceNanos,
    };
  }
}

function emptyTotals(): UsageTotals {
  return { requests: 0n, failedRequests: 0n, inputTokens: 0n, cachedInputTokens: 0n, outputTokens: 0n, costNanos: 0n };
}

function addTo(target: UsageTotals, row: Row) {
  target.requests += row.requests;
  target.failedRequests += row.failedRequests;
  target.inputTokens += row.inputTokens;
  target.cachedInputTokens += row.cachedInputTokens;
  target.outputTokens += row.outputTokens;
  target.costNanos += row.costNanos;
}
