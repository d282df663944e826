#!/usr/bin/env node
// Compact report of a bench/gateway.sh run: per target and test, throughput, latency, errors, CPU per request
// of the gateway process and of Postgres (from bench/pg-sampler.mjs), and the mock's request count check.
//   node bench/gateway-report.mjs <results.jsonl> <pg.tsv> [--gateway gateway] [--json out.json]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

const args = process.argv.slice(2);
const [resultsFile, pgFile] = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--")));
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const GW = opt("--gateway", "gateway");
const jsonOut = opt("--json", "");
let CLK = 100;
try {
  CLK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
} catch {}

const rows = fs
  .readFileSync(resultsFile, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const samples =
  pgFile && fs.existsSync(pgFile)
    ? fs
        .readFileSync(pgFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t").map(Number))
        .map(([t, ticks, lines]) => ({ t, ticks, lines }))
    : [];

// Requests the server handled inside the measured window (ttfb-client warm-up requests run inside it).
const served = (r) => (r.requests != null ? r.requests : (r.n || 0) + (r.warmup ?? Math.max((r.c || 1) * 2, 10)));
const errors = (r) =>
  r.requests != null
    ? (r.non2xx || 0) + (r.err_connect || 0) + (r.err_read || 0) + (r.err_write || 0) + (r.err_timeout || 0)
    : r.failed || 0;

// Postgres CPU during row k's window: the row is appended to results.jsonl right after its measurement ends,
// so its window is [first sample that sees line k] - wall_ms (minus a little slack; the gaps are idle).
function pgCpuMs(k, r) {
  if (!samples.length || !r.wall_ms) return null;
  const j = samples.findIndex((s) => s.lines >= k + 1);
  if (j < 0) return null;
  const start = samples[j].t - r.wall_ms - 300;
  let i = 0;
  while (i + 1 < samples.length && samples[i + 1].t <= start) i++;
  if (samples[i].t > start + 500) return null; // the sampler started after this run began
  return ((samples[j].ticks - samples[i].ticks) * 1000) / CLK;
}

const out = rows.map((r, k) => {
  const n = served(r);
  const pg = pgCpuMs(k, r);
  const pgPct = pg == null ? null : (pg / (r.wall_ms * os.cpus().length)) * 100;
  return {
    target: r.target,
    test: r.test,
    conns: r.conns,
    rps: r.rps ?? null,
    p50: r.lat_p50_ms ?? r.total_ms?.p50 ?? null,
    p99: r.lat_p99_ms ?? r.total_ms?.p99 ?? null,
    ttft_p50: r.first_token_ms?.p50 ?? null,
    ttft_p99: r.first_token_ms?.p99 ?? null,
    served: n,
    errors: errors(r),
    ok: r.ok ?? null,
    n: r.n ?? null,
    usage_seen: r.usage_seen ?? null,
    gw_cpu_ms_per_req: r.gw_cpu_ms == null || !n ? null : r.gw_cpu_ms / n,
    pg_cpu_ms_per_req: pg == null || !n ? null : pg / n,
    pg_cpu_ms: pg,
    mock_requests: r.mock_requests,
    mock_ratio: n ? r.mock_requests / n : null,
    foreign_pct: r.foreign_pct,
    foreign_excl_pg_pct: pgPct == null ? null : Math.max(0, r.foreign_pct - pgPct),
    attempt: r.attempt,
  };
});

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? "-" : Number(x).toFixed(d));
const sd = (x) => (x >= 0 ? "+" : "") + f(x);
const get = (t, test) => out.find((o) => o.target === t && o.test === test);
const targets = [...new Set(out.map((o) => o.target))];
const tests = [...new Set(out.map((o) => o.test))];

console.log(
  "| test | target | req/s | p50 ms | p99 ms | errors | gw CPU ms/req | pg CPU ms/req | gw+pg ms/req | mock reqs / served | foreign % (excl. pg) |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const test of tests)
  for (const t of targets) {
    const o = get(t, test);
    if (!o) continue;
    const own = o.target === "direct" ? null : o.gw_cpu_ms_per_req;
    const pg =
      o.pg_cpu_ms_per_req != null && o.pg_cpu_ms_per_req >= 0.005
        ? o.pg_cpu_ms_per_req
        : o.pg_cpu_ms_per_req == null
          ? null
          : 0;
    console.log(
      `| ${test} | ${t} | ${f(o.rps, 0)} | ${f(o.p50)} | ${f(o.p99)} | ${o.errors}${o.ok != null ? ` (ok ${o.ok}/${o.n})` : ""} | ${f(own, 3)} | ${t === GW ? f(pg, 3) : "-"} | ${t === GW && own != null && pg != null ? f(own + pg, 3) : "-"} | ${o.mock_requests}/${o.served} | ${f(o.foreign_pct, 1)}${t === GW ? ` (${f(o.foreign_excl_pg_pct, 1)})` : ""} |`,
    );
  }

// TTFT overhead against the mock alone
const ttft = [];
for (const test of tests.filter((t) => /^sse-c\d+$/.test(t))) {
  const d = get("direct", test);
  for (const t of targets.filter((x) => x !== "direct")) {
    const o = get(t, test);
    if (o && d && o.ttft_p50 != null)
      ttft.push(
        `${t} ${test}: TTFT p50 ${f(o.ttft_p50)} ms (${sd(o.ttft_p50 - d.ttft_p50)} vs direct), p99 ${f(o.ttft_p99)} ms (${sd(o.ttft_p99 - d.ttft_p99)})`,
      );
  }
}
if (ttft.length) {
  console.log("");
  for (const l of ttft) console.log("- " + l);
}

// Warnings: anything that looks wrong for the gateway
const warn = [];
for (const o of out) {
  if (o.target === "direct") continue;
  if (o.errors) warn.push(`${o.target} ${o.test}: ${o.errors} error(s) / non-2xx`);
  if (o.n != null && o.usage_seen != null && /^sse/.test(o.test) && o.usage_seen < o.ok)
    warn.push(`${o.target} ${o.test}: usage chunk seen in ${o.usage_seen}/${o.ok} streams`);
  if (
    !o.test.includes("noop") &&
    o.mock_ratio != null &&
    (o.mock_ratio < 0.99 || o.mock_requests > o.served + (o.conns || 1))
  )
    warn.push(`${o.target} ${o.test}: the mock saw ${o.mock_requests} upstream requests for ${o.served} served`);
  const fx = o.target === GW ? o.foreign_excl_pg_pct : o.foreign_pct;
  if (fx != null && fx > 10)
    warn.push(
      `${o.target} ${o.test}: ${f(fx, 1)}% of the machine used by other processes${o.target === GW ? " (Postgres excluded)" : ""}: noisy`,
    );
}
if (warn.length) {
  console.log("");
  for (const w of warn) console.log("> WARNING " + w);
}

if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ rows: out, warnings: warn }, null, 2));
