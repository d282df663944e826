// Live health of each model on this instance, from the requests it relays: a moving average of the
// time to the first token (or to the whole answer, for non-streaming requests) and of the share of
// upstream attempts that failed. `model: "auto"` reads it to prefer fast, healthy models. Per
// instance and in memory: it steers choices, it never decides money.

const ALPHA = 0.2; // weight of the newest observation
const STALE_MS = 10 * 60_000; // an average this old says little about now

interface Health {
  latencyMs: number | null;
  errorRate: number;
  updatedAt: number;
}

const globalForHealth = globalThis as unknown as { tokenflowModelHealth?: Map<string, Health> };
const health = (globalForHealth.tokenflowModelHealth ??= new Map());

export function recordModelOutcome(
  modelId: string,
  outcome: { ok: boolean; latencyMs?: number | null },
  now = Date.now(),
) {
  const current = health.get(modelId);
  const fresh =
    current && now - current.updatedAt < STALE_MS ? current : { latencyMs: null, errorRate: 0, updatedAt: now };
  const latency =
    outcome.ok && outcome.latencyMs != null && outcome.latencyMs >= 0
      ? fresh.latencyMs === null
        ? outcome.latencyMs
        : fresh.latencyMs + ALPHA * (outcome.latencyMs - fresh.latencyMs)
      : fresh.latencyMs;
  health.set(modelId, {
    latencyMs: latency,
    errorRate: fresh.errorRate + ALPHA * ((outcome.ok ? 0 : 1) - fresh.errorRate),
    updatedAt: now,
  });
}

export function modelHealth(modelId: string, now = Date.now()): { latencyMs: number | null; errorRate: number } {
  const current = health.get(modelId);
  if (!current || now - current.updatedAt >= STALE_MS) return { latencyMs: null, errorRate: 0 };
  return { latencyMs: current.latencyMs, errorRate: current.errorRate };
}
