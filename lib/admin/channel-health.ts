import { getPool } from "@/lib/db/pool";
import type { CircuitSnapshot } from "@/lib/gateway/circuit-breaker";
import { readCircuitStates } from "@/lib/gateway/failover";
import { getChannel, listChannels, type ChannelJson } from "./channels";

// Live health of the channels for the admin console: the last hour of receipts (RequestLog rows that
// name the channel) and this instance's circuit breaker. A receipt names the channel that served the
// request, or, when every channel failed, the one whose failure ended it; a request that failed on one
// channel and was then served by another is counted only for the one that served it (receipts keep
// one channel per request, not every attempt).

export const HEALTH_WINDOW_MINUTES = 60;

// Outcomes held against the channel: the upstream failed (5xx, timeout, a refused credential answered
// as 502 …) or cut a stream it had started. A client that left, or a request the upstream refused as
// invalid (4xx), is nobody's failure but the caller's: counted as a request, not in the success rate.
const FAILED = `(status >= 500 OR "errorCode" IN ('upstream_stream_error', 'upstream_error'))`;
const SUCCEEDED = `(status < 400 AND "errorCode" IS NULL)`;

export interface ChannelTraffic {
  requests: number;
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed), 0…1; null without any such request. */
  successRate: number | null;
  /** Nearest-rank percentiles over the successful requests, in milliseconds. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  /** Time to the first token of successful streams. */
  p50TtftMs: number | null;
}

export interface ChannelLiveHealth {
  traffic: ChannelTraffic;
  circuit: CircuitSnapshot;
}

const EMPTY_TRAFFIC: ChannelTraffic = {
  requests: 0,
  succeeded: 0,
  failed: 0,
  successRate: null,
  p50LatencyMs: null,
  p95LatencyMs: null,
  p50TtftMs: null,
};

interface TrafficRow {
  channelId: string;
  requests: string;
  succeeded: string;
  failed: string;
  p50: number | null;
  p95: number | null;
  ttft: number | null;
}

/** Traffic of the last hour per channel (only channels with receipts appear). */
export async function readChannelTraffic(channelIds?: readonly string[]): Promise<Map<string, ChannelTraffic>> {
  // percentile_disc picks an observed value (nearest rank), so the figures are real requests' times.
  const { rows } = await getPool().query<TrafficRow>(
    `SELECT "channelId",
            count(*)::TEXT AS requests,
            count(*) FILTER (WHERE ${SUCCEEDED})::TEXT AS succeeded,
            count(*) FILTER (WHERE ${FAILED})::TEXT AS failed,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE ${SUCCEEDED}) AS p50,
            percentile_disc(0.95) WITHIN GROUP (ORDER BY "latencyMs") FILTER (WHERE ${SUCCEEDED}) AS p95,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY "ttftMs")
              FILTER (WHERE ${SUCCEEDED} AND "isStream" AND "ttftMs" IS NOT NULL) AS ttft
       FROM "RequestLog"
      WHERE "channelId" = ANY(COALESCE($2::TEXT[], ARRAY(SELECT id FROM "Channel"))) -- (channelId, createdAt) index
        AND "createdAt" > (now() AT TIME ZONE 'UTC') - make_interval(mins => $1)
      GROUP BY "channelId"`,
    [HEALTH_WINDOW_MINUTES, channelIds ? [...channelIds] : null],
  );
  return new Map(
    rows.map((row) => {
      const succeeded = Number(row.succeeded);
      const failed = Number(row.failed);
      return [
        row.channelId,
        {
          requests: Number(row.requests),
          succeeded,
          failed,
          successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
          p50LatencyMs: row.p50,
          p95LatencyMs: row.p95,
          p50TtftMs: row.ttft,
        },
      ];
    }),
  );
}

/** Receipts and breaker state for each channel. */
export async function readChannelsLiveHealth(channelIds: readonly string[]): Promise<Map<string, ChannelLiveHealth>> {
  const traffic = await readChannelTraffic(channelIds);
  const circuits = readCircuitStates(channelIds);
  return new Map(
    channelIds.map((id) => [id, { traffic: traffic.get(id) ?? EMPTY_TRAFFIC, circuit: circuits.get(id)! }]),
  );
}

export interface RotationChange {
  at: string;
  /** "user" (with their email) or the management key. */
  by: string;
}

/** When an admin last switched each (currently disabled) channel off, from the audit log. */
export async function readLastDisabled(channelIds: readonly string[]): Promise<Map<string, RotationChange>> {
  if (channelIds.length === 0) return new Map();
  const { rows } = await getPool().query<{ targetId: string; createdAt: Date; email: string | null; via: string }>(
    `SELECT DISTINCT ON (e."targetId") e."targetId", e."createdAt" AT TIME ZONE 'UTC' AS "createdAt", u.email, COALESCE(e.data->>'via', '') AS via
       FROM "AuditEvent" e
       LEFT JOIN "User" u ON u.id = e."actorUserId"
      WHERE e."targetType" = 'Channel' AND e."targetId" = ANY($1::TEXT[])
        AND e.after->>'status' = 'DISABLED'
        AND (e.before IS NULL OR e.before->>'status' IS DISTINCT FROM 'DISABLED')
      ORDER BY e."targetId", e."createdAt" DESC`,
    [[...channelIds]],
  );
  return new Map(
    rows.map((row) => [
      row.targetId,
      {
        at: row.createdAt.toISOString(),
        by: row.email ?? (row.via === "api_key" ? "the management API" : "an admin"),
      },
    ]),
  );
}

// ---------- what the console and GET /api/admin/channels/health show ----------

export type RotationState = "serving" | "probing" | "out_of_rotation" | "disabled" | "auth_failed";

export interface ChannelHealthJson {
  channelId: string;
  windowMinutes: number;
  rotation: RotationState;
  traffic: ChannelTraffic;
  circuit: {
    state: CircuitSnapshot["state"];
    reason: CircuitSnapshot["reason"];
    failures: number;
    authFailures: number;
    openedAt: string | null;
    probeAt: string | null;
  };
  lastError: string | null;
  lastCheckedAt: string | null;
  lastLatencyMs: number | null;
  disabled: RotationChange | null;
}

export interface ChannelOverview {
  channel: ChannelJson;
  health: ChannelHealthJson;
}

export function rotationState(channel: Pick<ChannelJson, "status">, circuit: CircuitSnapshot): RotationState {
  if (channel.status === "DISABLED") return "disabled";
  if (channel.status === "AUTH_FAILED") return "auth_failed";
  if (circuit.state === "open") return "out_of_rotation";
  if (circuit.state === "half_open") return "probing";
  return "serving";
}

function toHealthJson(
  channel: ChannelJson,
  live: ChannelLiveHealth,
  disabled: RotationChange | null,
): ChannelHealthJson {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    channelId: channel.id,
    windowMinutes: HEALTH_WINDOW_MINUTES,
    rotation: rotationState(channel, live.circuit),
    traffic: live.traffic,
    circuit: {
      state: live.circuit.state,
      reason: live.circuit.reason,
      failures: live.circuit.failures,
      authFailures: live.circuit.authFailures,
      openedAt: iso(live.circuit.openedAt),
      probeAt: iso(live.circuit.probeAt),
    },
    lastError: channel.health.lastError,
    lastCheckedAt: channel.health.lastCheckedAt,
    lastLatencyMs: channel.health.lastLatencyMs,
    disabled: channel.status === "DISABLED" ? disabled : null,
  };
}

async function overviews(channels: ChannelJson[]): Promise<ChannelOverview[]> {
  const ids = channels.map((c) => c.id);
  const [live, disabled] = await Promise.all([
    readChannelsLiveHealth(ids),
    readLastDisabled(channels.filter((c) => c.status === "DISABLED").map((c) => c.id)),
  ]);
  return channels.map((channel) => ({
    channel,
    health: toHealthJson(channel, live.get(channel.id)!, disabled.get(channel.id) ?? null),
  }));
}

/** Every channel with its live health (priority order). */
export async function listChannelOverviews(): Promise<ChannelOverview[]> {
  return overviews((await listChannels()).data);
}

export async function getChannelOverview(id: string): Promise<ChannelOverview> {
  const [overview] = await overviews([await getChannel(id)]);
  return overview!;
}

/** GET /api/admin/channels/health: the health half of the overviews. */
export async function listChannelHealth(): Promise<{ windowMinutes: number; data: ChannelHealthJson[] }> {
  return { windowMinutes: HEALTH_WINDOW_MINUTES, data: (await listChannelOverviews()).map((o) => o.health) };
}
