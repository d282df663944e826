import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics } from "./registry";

// The Grafana dashboard in the repository must keep matching what /metrics exports: a renamed
// metric would otherwise leave a panel silently empty.

const DASHBOARD = path.resolve(import.meta.dirname, "../../ops/grafana/tokenflow-dashboard.json");

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

function expressions(panels: Panel[]): string[] {
  return panels.flatMap((p) => [...(p.targets ?? []).map((t) => t.expr), ...expressions(p.panels ?? [])]);
}

/** The series names a PromQL expression selects (ours and prom-client's default process metrics). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:tokenflow|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]);
}

describe("ops/grafana/tokenflow-dashboard.json", () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { title: string; panels: Panel[] };

  it("is a dashboard whose every panel queries something", () => {
    expect(dashboard.title).toBe("TokenFlow");
    const queryPanels = dashboard.panels.filter((p) => p.type !== "row");
    expect(queryPanels.length).toBeGreaterThan(10);
    for (const panel of queryPanels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it("only uses metric names the registry exports", async () => {
    const { registry } = createMetrics();
    const exported = new Set<string>();
    for (const metric of await registry.getMetricsAsJSON()) {
      exported.add(metric.name);
      if (String(metric.type) === "histogram")
        for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(metric.name + suffix);
    }
    const used = new Set(expressions(dashboard.panels).flatMap(metricNames));
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
  });

  it("shows every TokenFlow metric somewhere", async () => {
    const { registry } = createMetrics();
    const used = new Set(expressions(dashboard.panels).flatMap(metricNames));
    const ours = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith("tokenflow_"));
    const unused = ours.filter((name) => ![...used].some((u) => u === name || u.startsWith(`${name}_`)));
    expect(unused).toEqual([]);
  });
});
