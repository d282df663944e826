import type { ChannelHealthJson, RotationState } from "./channel-health";

// How channel health reads on the console.

/** 0.6 → "60%", 2/3 → "66.7%", null → "—". */
export function formatRate(rate: number | null): string {
  if (rate === null) return "—";
  return `${(Math.round(rate * 1000) / 10).toFixed(1).replace(/\.0$/, "")}%`;
}

/** 123 → "123 ms", 12345 → "12.3 s", null → "—". */
export function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${ms.toLocaleString("en-US")} ms`;
}

export const ROTATION: Record<RotationState, { label: string; tone: "green" | "amber" | "red" | "slate" }> = {
  serving: { label: "In rotation", tone: "green" },
  probing: { label: "Probing", tone: "amber" },
  out_of_rotation: { label: "Out of rotation", tone: "red" },
  auth_failed: { label: "Credential rejected", tone: "red" },
  disabled: { label: "Disabled", tone: "slate" },
};

export function circuitLabel(circuit: ChannelHealthJson["circuit"]): string {
  if (circuit.state === "open") return "Open";
  if (circuit.state === "half_open") return "Half-open";
  const failures = circuit.failures + circuit.authFailures;
  return failures > 0 ? `Closed (${failures} failure${failures === 1 ? "" : "s"})` : "Closed";
}

export { providerLabel } from "@/lib/gateway/providers/list";
