import { hotPathHoldPools } from "@/lib/billing/hot-path-admission";
import { isDatabaseDown } from "@/lib/db/hot-path";
import { getPool, poolStats, timedQuery } from "@/lib/db/pool";
import { getCatalog } from "@/lib/gateway/catalog";
import { readCircuitStates } from "@/lib/gateway/failover";
import { redisStateNow } from "@/lib/health/redis-state";
import type { TokenflowMetrics } from "./registry";

// The gauges read at scrape time (nothing on the hot path keeps them): pool, hold pool and Redis state from
// memory, circuit states of the enabled channels (the catalog is cached; the breaker is in memory)
// and the open holds of the whole deployment from Postgres. Each read is bounded, so a database
// outage makes a scrape at most SCRAPE_QUERY_TIMEOUT_MS slower, never hang.

const SCRAPE_QUERY_TIMEOUT_MS = 1_000;
const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export async function refreshScrapeGauges(metrics: TokenflowMetrics): Promise<void> {
  const pool = poolStats();
  metrics.dbPool.set({ state: "total" }, pool?.total ?? 0);
  metrics.dbPool.set({ state: "idle" }, pool?.idle ?? 0);
  metrics.dbPool.set({ state: "waiting" }, pool?.waiting ?? 0);
  const databaseDown = isDatabaseDown();
  metrics.dbAvailable.set(databaseDown ? 0 : 1);

  const pools = hotPathHoldPools();
  metrics.holdsPooled.set(pools.pooled());
  metrics.holdPoolTakes.reset();
  metrics.holdPoolTakes.inc({ result: "taken" }, pools.stats.taken);
  metrics.holdPoolTakes.inc({ result: "missed" }, pools.stats.missed);

  const redis = redisStateNow();
  metrics.redisConfigured.set(redis === "not_configured" ? 0 : 1);
  metrics.redisUp.set(redis === "connected" ? 1 : 0);

  // While the hot path counts the database as down these would only wait for their timeout: the
  // gauges keep their last values and tokenflow_db_available says why.
  if (databaseDown) return;
  await Promise.all([refreshCircuits(metrics), refreshOpenHolds(metrics)]);
}

async function refreshCircuits(metrics: TokenflowMetrics): Promise<void> {
  const catalog = await withTimeout(getCatalog(), SCRAPE_QUERY_TIMEOUT_MS).catch(() => null);
  if (!catalog) return;
  const states = readCircuitStates(catalog.channels.map((c) => c.id));
  // Disabled or deleted channels drop out of the gauges.
  metrics.circuitState.reset();
  metrics.channelInfo.reset();
  for (const channel of catalog.channels) {
    metrics.circuitState.set({ channel: channel.id }, CIRCUIT_VALUE[states.get(channel.id)!.state]);
    metrics.channelInfo.set({ channel: channel.id, name: channel.name, provider: channel.provider }, 1);
  }
}

async function refreshOpenHolds(metrics: TokenflowMetrics): Promise<void> {
  try {
    // Served by the ("state", "createdAt") index; HELD holds are few (requests in flight, orphans).
    const { rows } = await getPool().query<{ open: number }>(
      timedQuery(`SELECT count(*)::int AS open FROM "Hold" WHERE state = 'HELD'`, [], SCRAPE_QUERY_TIMEOUT_MS),
    );
    metrics.holdsOpen.set(rows[0].open);
  } catch {
    // Keep the last value: tokenflow_db_available and the pool gauges tell the database's state.
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
