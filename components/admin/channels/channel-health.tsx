import { Badge } from "@/components/ui/card";
import type { ChannelHealthJson } from "@/lib/admin/channel-health";
import { formatAgo, formatDateTime } from "@/lib/format";
import { circuitLabel, formatMs, formatRate, ROTATION } from "@/lib/admin/channel-display";

// A channel's live health: the last hour of its receipts, this instance's breaker, and why it is
// out of rotation when it is. Server-rendered; shared by the list and the channel's page.

export function RotationBadge({ health }: { health: ChannelHealthJson }) {
  const { label, tone } = ROTATION[health.rotation];
  return (
    <span data-testid="rotation">
      <Badge tone={tone}>{label}</Badge>
    </span>
  );
}

function when(iso: string, now: Date): string {
  return `${formatDateTime(new Date(iso))} (${formatAgo(new Date(iso), now)})`;
}

/** Why and since when the channel takes no traffic, and its last error; nothing when all is well. */
export function RotationNote({
  health,
  disabledReason,
  now,
}: {
  health: ChannelHealthJson;
  disabledReason: string | null;
  now: Date;
}) {
  const lines: { key: string; tone: "red" | "slate"; text: string }[] = [];
  if (health.rotation === "disabled") {
    lines.push({
      key: "disabled",
      tone: "slate",
      text: health.disabled
        ? `Disabled by ${health.disabled.by} on ${when(health.disabled.at, now)}${disabledReason ? `: ${disabledReason}` : ""}. It takes no traffic until enabled.`
        : `Disabled${disabledReason ? `: ${disabledReason}` : ""}. It takes no traffic until enabled.`,
    });
  } else if (health.rotation === "auth_failed") {
    lines.push({
      key: "auth",
      tone: "red",
      text: `The upstream rejected the credential${disabledReason ? `: ${disabledReason}` : ""}. Replace the API key, then enable the channel.`,
    });
  } else if (health.rotation === "out_of_rotation" || health.rotation === "probing") {
    const why =
      health.circuit.reason === "auth"
        ? `${health.circuit.authFailures} consecutive account failures (401/402/403)`
        : `${health.circuit.failures} consecutive upstream failures`;
    const since = health.circuit.openedAt ? ` since ${when(health.circuit.openedAt, now)}` : "";
    const probe =
      health.rotation === "probing"
        ? "; the next request probes it"
        : health.circuit.probeAt
          ? `; probed again at ${formatDateTime(new Date(health.circuit.probeAt))}`
          : "";
    lines.push({ key: "circuit", tone: "red", text: `Out of rotation on this server${since} after ${why}${probe}.` });
  }
  if (health.lastError) {
    lines.push({
      key: "error",
      tone: "red",
      text: `Last error${health.lastCheckedAt ? `, ${when(health.lastCheckedAt, now)}` : ""}: ${health.lastError}`,
    });
  } else if (health.lastCheckedAt) {
    lines.push({
      key: "check",
      tone: "slate",
      text: `Last check ${when(health.lastCheckedAt, now)}: answered${health.lastLatencyMs !== null ? ` in ${formatMs(health.lastLatencyMs)}` : ""}.`,
    });
  }
  if (lines.length === 0) return null;
  return (
    <ul className="grid gap-1 text-sm" data-testid="rotation-note">
      {lines.map((line) => (
        <li key={line.key} className={`break-words ${line.tone === "red" ? "text-red-700" : "text-slate-600"}`}>
          {line.text}
        </li>
      ))}
    </ul>
  );
}

/** Requests, success rate, latency percentiles, time to first token and the breaker, last hour. */
export function HealthFigures({ health }: { health: ChannelHealthJson }) {
  const t = health.traffic;
  const figures: { id: string; label: string; value: string; detail?: string }[] = [
    { id: "requests", label: "Requests", value: t.requests.toLocaleString("en-US") },
    {
      id: "success",
      label: "Success",
      value: formatRate(t.successRate),
      detail: t.failed > 0 ? `${t.failed} failed` : undefined,
    },
    { id: "p50", label: "Latency p50", value: formatMs(t.p50LatencyMs) },
    { id: "p95", label: "Latency p95", value: formatMs(t.p95LatencyMs) },
    { id: "ttft", label: "First token p50", value: formatMs(t.p50TtftMs) },
    { id: "circuit", label: "Circuit", value: circuitLabel(health.circuit) },
  ];
  return (
    <dl className="grid grid-cols-2 gap-x-4 gap-y-3 sm:grid-cols-3 xl:grid-cols-6">
      {figures.map((f) => (
        <div key={f.id} data-testid={`health-${f.id}`}>
          <dt className="text-xs text-slate-500">{f.label}</dt>
          <dd className="text-sm font-medium text-slate-900 tabular-nums">
            {f.value}
            {f.detail && <span className="ml-1 text-xs font-normal text-red-700">({f.detail})</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}
