#!/usr/bin/env node
// CPU sampler for the local Postgres server, used by bench/gateway.sh.
//   node bench/pg-sampler.mjs <out.tsv> <results.jsonl> [interval_ms=100]
// Every interval it appends "epoch_ms<TAB>postgres_cpu_ticks<TAB>lines_in_results.jsonl".
// postgres_cpu_ticks = utime+stime of every postmaster and its live children (backends, autovacuum,
// walwriter...) + the postmaster's cutime+cstime (children that already exited), so backends that come
// and go are still counted. The line count of bench.sh's results.jsonl tells when each measurement was
// recorded; bench/gateway-report.mjs uses that to attribute Postgres CPU to each measured run.
import fs from "node:fs";

const [out, results, intervalArg] = process.argv.slice(2);
if (!out || !results) {
  console.error("usage: pg-sampler.mjs <out.tsv> <results.jsonl> [interval_ms]");
  process.exit(2);
}
const INTERVAL = Number(intervalArg || 100);

const stat = (pid) => {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" "); // f[0] = state (field 3)
    return {
      comm: s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")),
      ppid: +f[1],
      utime: +f[11],
      stime: +f[12],
      cutime: +f[13],
      cstime: +f[14],
    };
  } catch {
    return null;
  }
};
function findPostmasters() {
  const pms = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(d);
    if (s && s.comm === "postgres" && stat(s.ppid)?.comm !== "postgres") pms.push(+d);
  }
  return pms;
}
let pms = findPostmasters();
if (!pms.length) console.error("pg-sampler: no postgres process found");
let lastScan = Date.now();

function pgTicks() {
  let t = 0;
  for (const pm of pms) {
    const s = stat(pm);
    if (!s) continue;
    t += s.utime + s.stime + s.cutime + s.cstime;
    let kids = [];
    try {
      kids = fs.readFileSync(`/proc/${pm}/task/${pm}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {}
    for (const k of kids) {
      const c = stat(k);
      if (c) t += c.utime + c.stime;
    }
  }
  return t;
}
function lines() {
  try {
    const b = fs.readFileSync(results);
    let n = 0;
    for (const x of b) if (x === 10) n++;
    return n;
  } catch {
    return 0;
  }
}

const fd = fs.openSync(out, "a");
const tick = () => {
  if (Date.now() - lastScan > 5000) {
    pms = findPostmasters();
    lastScan = Date.now();
  }
  fs.writeSync(fd, `${Date.now()}\t${pgTicks()}\t${lines()}\n`);
};
tick();
const timer = setInterval(tick, INTERVAL);
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    clearInterval(timer);
    tick();
    fs.closeSync(fd);
    process.exit(0);
  });
