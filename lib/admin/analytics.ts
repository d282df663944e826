import { getPool } from "@/lib/db/pool";

// Platform analytics for the operator: revenue (top-ups credited, from the ledger), spend and tokens
// by model and organization (from UsageDaily, the rollup settlement keeps in the same transaction as
// each charge, so it agrees with the ledger to the nano), and per channel spend, error rate and
// latency (from the receipts: RequestLog is only indexed by organization and time, so it is read
// one organization at a time through that index and never beyond the selected range).

export const ANALYTICS_RANGES = [7, 30, 90] as const;
export type AnalyticsRange = (typeof ANALYTICS_RANGES)[number];
export const TOP_ORGANIZATIONS = 10;

export function parseAnalyticsRange(value: string | string[] | undefined): AnalyticsRange {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return (ANALYTICS_RANGES as readonly number[]).includes(n) ? (n as AnalyticsRange) : 30;
}

/** The last `days` UTC days, today included: "YYYY-MM-DD" each, oldest first. */
export function rangeDays(days: number, now = new Date()): { fromDay: string; toDay: string; days: string[] } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const list: string[] = [];
  for (let i = days - 1; i >= 0; i--) list.push(new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  return { fromDay: list[0], toDay: list[list.length - 1], days: list };
}

export interface DayAmount {
  day: string;
  nanos: bigint;
  count: bigint;
}

export interface DaySeriesValue {
  day: string;
  series: string; // model, organization id or channel id
  costNanos: bigint;
  tokens: bigint;
  requests: bigint;
}

export interface ModelTotals {
  model: string;
  requests: bigint;
  failedRequests: bigint;
  inputTokens: bigint;
  cachedInputTokens: bigint;
  outputTokens: bigint;
  costNanos: bigint;
}

export interface OrganizationTotals {
  id: string;
  name: string;
  requests: bigint;
  tokens: bigint;
  costNanos: bigint;
}

export interface ChannelStats {
  /** null: requests no channel served (refused before routing). */
  channelId: string | null;
  name: string;
  requests: bigint;
  /**
   * Requests that failed on the platform's side: answered with a 5xx, or (for a channel) a stream
   * the upstream cut short. A request whose every attempt failed counts against the last channel
   * it tried (its receipt names that channel); the "no channel" row holds requests refused before
   * routing. Refusals (4xx: quota, limits, bad requests) are not errors of ours.
   */
  errors: bigint;
  costNanos: bigint;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
}

export interface PlatformAnalytics {
  range: { days: AnalyticsRange; fromDay: string; toDay: string; list: string[] };
  totals: {
    revenueNanos: bigint;
    topUps: bigint;
    /** Refunds, disputes and won disputes in the range: signed, what balances changed by. */
    moneyBackNanos: bigint;
    spendNanos: bigint;
    requests: bigint;
    failedRequests: bigint;
    tokens: bigint;
  };
  revenueByDay: DayAmount[];
  byModel: ModelTotals[];
  byModelDay: DaySeriesValue[];
  topOrganizations: OrganizationTotals[];
  /** Top organizations per day (others summed under series "other"). */
  byOrganizationDay: DaySeriesValue[];
  channels: ChannelStats[];
  byChannelDay: DaySeriesValue[];
}

export async function getPlatformAnalytics(days: AnalyticsRange, now = new Date()): Promise<PlatformAnalytics> {
  const range = rangeDays(days, now);
  const pool = getPool();
  const [revenue, moneyBack, usage, orgs, channels] = await Promise.all([
    pool.query<{ day: string; nanos: bigint; count: bigint }>(
      `SELECT to_char("createdAt"::date, 'YYYY-MM-DD') AS day, sum("amountNanos")::bigint AS nanos, count(*)::bigint AS count
         FROM "LedgerEntry"
        WHERE kind = 'TOPUP' AND "createdAt" >= $1::date AND "createdAt" < $2::date + 1
        GROUP BY 1 ORDER BY 1`,
      [range.fromDay, range.toDay],
    ),
    pool.query<{ nanos: bigint | null }>(
      `SELECT sum("amountNanos")::bigint AS nanos FROM "LedgerEntry"
        WHERE kind IN ('REFUND', 'DISPUTE', 'DISPUTE_REVERSAL') AND "createdAt" >= $1::date AND "createdAt" < $2::date + 1`,
      [range.fromDay, range.toDay],
    ),
    pool.query<{
      day: string;
      model: string;
      requests: bigint;
      failedRequests: bigint;
      inputTokens: bigint;
      cachedInputTokens: bigint;
      outputTokens: bigint;
      costNanos: bigint;
    }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, model, sum(requests)::bigint AS requests,
              sum("failedRequests")::bigint AS "failedRequests", sum("inputTokens")::bigint AS "inputTokens",
              sum("cachedInputTokens")::bigint AS "cachedInputTokens", sum("outputTokens")::bigint AS "outputTokens",
              sum("costNanos")::bigint AS "costNanos"
         FROM "UsageDaily" WHERE day BETWEEN $1::date AND $2::date
        GROUP BY day, model ORDER BY day, model`,
      [range.fromDay, range.toDay],
    ),
    pool.query<{ day: string; organizationId: string; requests: bigint; tokens: bigint; costNanos: bigint }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, "organizationId", sum(requests)::bigint AS requests,
              sum("inputTokens" + "cachedInputTokens" + "outputTokens")::bigint AS tokens, sum("costNanos")::bigint AS "costNanos"
         FROM "UsageDaily" WHERE day BETWEEN $1::date AND $2::date
        GROUP BY day, "organizationId"`,
      [range.fromDay, range.toDay],
    ),
    // One pass over the range's receipts, organization by organization through the
    // (organizationId, createdAt) index: per channel and day, and per channel over the range.
    pool.query<{
      day: string | null;
      channelId: string | null;
      requests: bigint;
      errors: bigint;
      costNanos: bigint;
      tokens: bigint;
      p50: number | null;
      p95: number | null;
    }>(
      `SELECT CASE WHEN GROUPING(r.day) = 0 THEN to_char(r.day, 'YYYY-MM-DD') END AS day, r."channelId",
              sum(r."requestCount")::bigint AS requests,
              (COALESCE(sum(r."requestCount") FILTER (WHERE r.status >= 500
                 OR (r."errorCode" IS NOT NULL AND r."errorCode" <> 'client_closed' AND r."channelId" IS NOT NULL)), 0))::bigint AS errors,
              sum(r."costNanos")::bigint AS "costNanos",
              sum(r."inputTokens" + r."cachedInputTokens" + r."outputTokens")::bigint AS tokens,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY r."latencyMs") AS p50,
              percentile_disc(0.95) WITHIN GROUP (ORDER BY r."latencyMs") AS p95
         FROM "Organization" o
         CROSS JOIN LATERAL (
           SELECT l."createdAt"::date AS day, l."channelId", l."requestCount", l.status, l."errorCode", l."costNanos",
                  l."inputTokens", l."cachedInputTokens", l."outputTokens", l."latencyMs"
             FROM "RequestLog" l
            WHERE l."organizationId" = o.id AND l."createdAt" >= $1::date AND l."createdAt" < $2::date + 1
         ) r
        GROUP BY GROUPING SETS ((r.day, r."channelId"), (r."channelId"))`,
      [range.fromDay, range.toDay],
    ),
  ]);

  const totals: PlatformAnalytics["totals"] = {
    revenueNanos: 0n,
    topUps: 0n,
    moneyBackNanos: moneyBack.rows[0]?.nanos ?? 0n,
    spendNanos: 0n,
    requests: 0n,
    failedRequests: 0n,
    tokens: 0n,
  };
  for (const row of revenue.rows) {
    totals.revenueNanos += row.nanos;
    totals.topUps += row.count;
  }

  const models = new Map<string, ModelTotals>();
  const byModelDay: DaySeriesValue[] = [];
  for (const row of usage.rows) {
    const m = models.get(row.model) ?? {
      model: row.model,
      requests: 0n,
      failedRequests: 0n,
      inputTokens: 0n,
      cachedInputTokens: 0n,
      outputTokens: 0n,
      costNanos: 0n,
    };
    m.requests += row.requests;
    m.failedRequests += row.failedRequests;
    m.inputTokens += row.inputTokens;
    m.cachedInputTokens += row.cachedInputTokens;
    m.outputTokens += row.outputTokens;
    m.costNanos += row.costNanos;
    models.set(row.model, m);
    const tokens = row.inputTokens + row.cachedInputTokens + row.outputTokens;
    byModelDay.push({ day: row.day, series: row.model, costNanos: row.costNanos, tokens, requests: row.requests });
    totals.spendNanos += row.costNanos;
    totals.requests += row.requests;
    totals.failedRequests += row.failedRequests;
    totals.tokens += tokens;
  }

  const orgTotals = new Map<string, { requests: bigint; tokens: bigint; costNanos: bigint }>();
  for (const row of orgs.rows) {
    const t = orgTotals.get(row.organizationId) ?? { requests: 0n, tokens: 0n, costNanos: 0n };
    t.requests += row.requests;
    t.tokens += row.tokens;
    t.costNanos += row.costNanos;
    orgTotals.set(row.organizationId, t);
  }
  const topIds = [...orgTotals.entries()]
    .sort((a, b) => compareDesc(a[1].costNanos, b[1].costNanos) || compareDesc(a[1].tokens, b[1].tokens))
    .slice(0, TOP_ORGANIZATIONS)
    .map(([id]) => id);
  const names = await namesOf("Organization", topIds);
  const topOrganizations = topIds.map((id) => ({ id, name: names.get(id) ?? id, ...orgTotals.get(id)! }));
  const top = new Set(topIds);
  const byOrganizationDay = sumBy(
    orgs.rows.map((row) => ({
      day: row.day,
      series: top.has(row.organizationId) ? row.organizationId : "other",
      costNanos: row.costNanos,
      tokens: row.tokens,
      requests: row.requests,
    })),
  );

  const channelNames = await namesOf(
    "Channel",
    channels.rows.map((row) => row.channelId).filter((id): id is string => id !== null),
  );
  const channelStats: ChannelStats[] = [];
  const byChannelDay: DaySeriesValue[] = [];
  for (const row of channels.rows) {
    if (row.day === null) {
      channelStats.push({
        channelId: row.channelId,
        name:
          row.channelId === null
            ? "No channel (refused before routing)"
            : (channelNames.get(row.channelId) ?? "Deleted channel"),
        requests: row.requests,
        errors: row.errors,
        costNanos: row.costNanos,
        p50LatencyMs: row.channelId === null ? null : row.p50,
        p95LatencyMs: row.channelId === null ? null : row.p95,
      });
    } else if (row.channelId !== null) {
      byChannelDay.push({
        day: row.day,
        series: row.channelId,
        costNanos: row.costNanos,
        tokens: row.tokens,
        requests: row.requests,
      });
    }
  }
  channelStats.sort(
    (a, b) =>
      Number(a.channelId === null) - Number(b.channelId === null) ||
      compareDesc(a.requests, b.requests) ||
      a.name.localeCompare(b.name),
  );

  return {
    range: { days, fromDay: range.fromDay, toDay: range.toDay, list: range.days },
    totals,
    revenueByDay: revenue.rows,
    byModel: [...models.values()].sort(
      (a, b) => compareDesc(a.costNanos, b.costNanos) || a.model.localeCompare(b.model),
    ),
    byModelDay,
    topOrganizations,
    byOrganizationDay,
    channels: channelStats,
    byChannelDay,
  };
}

function compareDesc(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
}

function sumBy(values: DaySeriesValue[]): DaySeriesValue[] {
  const out = new Map<string, DaySeriesValue>();
  for (const v of values) {
    const key = `${v.day}\u0000${v.series}`;
    const t = out.get(key);
    if (!t) out.set(key, { ...v });
    else {
      t.costNanos += v.costNanos;
      t.tokens += v.tokens;
      t.requests += v.requests;
    }
  }
  return [...out.values()];
}

async function namesOf(table: "Organization" | "Channel", ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await getPool().query<{ id: string; name: string }>(
    `SELECT id, name FROM "${table}" WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.name]));
}

// ---------- chart shapes (USD numbers for drawing only; exact figures are in the tables) ----------

const MAX_CHART_SERIES = 8;
const OTHER = "Others";

export interface ChartPoint {
  day: string;
  [series: string]: number | string;
}

/**
 * One point per day of the range (days without data are zeros), one key per series. `labelOf`
 * names a series (a model id as is, an organization or channel id by its name).
 */
export function dailyChart(
  days: string[],
  values: DaySeriesValue[],
  measure: "usd" | "tokens",
  labelOf: (series: string) => string = (s) => s,
): { data: ChartPoint[]; series: string[] } {
  const totals = new Map<string, bigint>();
  const byDay = new Map<string, Map<string, bigint>>();
  for (const v of values) {
    const amount = measure === "usd" ? v.costNanos : v.tokens;
    const label = labelOf(v.series);
    totals.set(label, (totals.get(label) ?? 0n) + amount);
    const day = byDay.get(v.day) ?? new Map<string, bigint>();
    day.set(label, (day.get(label) ?? 0n) + amount);
    byDay.set(v.day, day);
  }
  let series = [...totals.entries()]
    .filter(([, total]) => total > 0n)
    .sort((a, b) => compareDesc(a[1], b[1]) || a[0].localeCompare(b[0]))
    .map(([label]) => label);
  if (series.length > MAX_CHART_SERIES) {
    // The largest as their own series, the rest summed: a chart with 40 colours says nothing.
    const kept = new Set(series.slice(0, MAX_CHART_SERIES - 1));
    for (const day of byDay.values()) {
      let rest = 0n;
      for (const [label, amount] of day) if (!kept.has(label)) rest += amount;
      day.set(OTHER, rest);
    }
    series = [...kept, OTHER];
  }
  const data = days.map((day) => {
    const point: ChartPoint = { day };
    for (const label of series) {
      const amount = byDay.get(day)?.get(label) ?? 0n;
      point[label] = measure === "usd" ? Number(amount) / 1e9 : Number(amount);
    }
    return point;
  });
  return { data, series };
}

export function revenueChart(days: string[], revenue: DayAmount[]): ChartPoint[] {
  const byDay = new Map(revenue.map((r) => [r.day, r.nanos]));
  return days.map((day) => ({ day, Revenue: Number(byDay.get(day) ?? 0n) / 1e9 }));
}
