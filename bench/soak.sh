# The soak of issue 13: TokenFlow under steady load for $SOAK seconds (npm run bench:soak = 600), its
# resident memory sampled every $SOAK_SAMPLE_S seconds. Sourced by bench/gateway.sh after it started
# and configured the server (step 6 there); uses its variables (HARNESS, OUT, GW, GATEWAY_KEY, MOCK_PORT,
# SERVER_PID, BENCH_DB_URL) and helpers (log, die, descendants, stop_pid).
#
# Load: non-streaming at $SOAK_JSON_CONNS connections and streaming at $SOAK_STREAM_CONNS at once, both
# through wrk against the shared mock upstream, load generator and mock on CPU 0, the server on CPU 1.
# "Flat" is judged on the last 80 % of the run (the first fifth is warm-up: JIT, pools, caches):
# the least-squares slope of RSS over that part, in MB per minute, and RSS at its start against the end.
SOAK_SAMPLE_S=${SOAK_SAMPLE_S:-5}
SOAK_JSON_CONNS=${SOAK_JSON_CONNS:-32}
SOAK_STREAM_CONNS=${SOAK_STREAM_CONNS:-32}
MOCK_PID=""
soak_cleanup() { stop_pid "$MOCK_PID"; }
trap 'soak_cleanup; cleanup' EXIT

MOCK_PORT=$MOCK_PORT MOCK_LATENCY_MS=${MOCK_LATENCY_MS:-0} MOCK_CHUNKS=${STREAM_CHUNKS:-20} MOCK_CHUNK_DELAY_MS=${CHUNK_DELAY_MS:-5} \
  taskset -c 0 node "$HARNESS/mock-upstream.mjs" >"$OUT/mock.log" 2>&1 &
MOCK_PID=$!
for ((i = 0; i < 100; i++)); do curl -s -o /dev/null "http://127.0.0.1:$MOCK_PORT/" && break; sleep 0.1; done
for q in "$SERVER_PID" $(descendants "$SERVER_PID"); do taskset -a -p -c 1 "$q" >/dev/null 2>&1 || true; done

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
log "soak: ${SOAK}s, json at $SOAK_JSON_CONNS conns + streams at $SOAK_STREAM_CONNS conns; RSS every ${SOAK_SAMPLE_S}s -> $OUT/rss.tsv"
: >"$OUT/rss.tsv"
SOAK_T0=$(date +%s)
(
  t0=$SOAK_T0
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%s\t%s\n' "$(($(date +%s) - t0))" "$(rss_kb "$SERVER_PID")" >>"$OUT/rss.tsv"
    sleep "$SOAK_SAMPLE_S"
  done
) &
RSS_PID=$!
wrk_soak() { # conns stream label
  WRK_AUTH="$GATEWAY_KEY" WRK_MODEL=bench-model WRK_STREAM=$2 WRK_LABEL=$3 \
    taskset -c 0 wrk -t1 -c"$1" -d"${SOAK}s" --timeout 10s -s "$HARNESS/wrk-chat.lua" "$GW/v1/chat/completions"
}
wrk_soak "$SOAK_JSON_CONNS" 0 soak-json >"$OUT/wrk-json.txt" 2>&1 &
JSON_PID=$!
wrk_soak "$SOAK_STREAM_CONNS" 1 soak-stream >"$OUT/wrk-stream.txt" 2>&1 &
STREAM_PID=$!
wait "$JSON_PID" "$STREAM_PID"
sleep "$SOAK_SAMPLE_S"
kill "$RSS_PID" 2>/dev/null

{
  echo "## TokenFlow soak $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build $(cat .next/BUILD_ID), $(nproc) CPUs, node $(node -v); ${SOAK}s; mock ${STREAM_CHUNKS:-20} chunks x ${CHUNK_DELAY_MS:-5} ms"
  echo
  node -e '
    const fs = require("fs");
    const [rssFile, jsonFile, streamFile, soak, logFile, t0] = process.argv.slice(1);
    const wrk = (f) => JSON.parse((fs.readFileSync(f, "utf8").match(/^WRKJSON (.*)$/m) || [, "{}"])[1]);
    const rows = fs.readFileSync(rssFile, "utf8").trim().split("\n").map((l) => l.split("\t").map(Number)).filter((r) => r[1] > 0);
    const mb = (kb) => (kb / 1024).toFixed(1);
    const steady = rows.filter((r) => r[0] >= Number(soak) * 0.2);
    const n = steady.length, mx = steady.reduce((a, r) => a + r[0], 0) / n, my = steady.reduce((a, r) => a + r[1], 0) / n;
    const slope = steady.reduce((a, r) => a + (r[0] - mx) * (r[1] - my), 0) / steady.reduce((a, r) => a + (r[0] - mx) ** 2, 0);
    const at = (s) => rows.reduce((best, r) => (Math.abs(r[0] - s) < Math.abs(best[0] - s) ? r : best))[1];
    console.log("| load | requests | req/s | p50 ms | p99 ms | non-2xx | socket errors |");
    console.log("|---|---|---|---|---|---|---|");
    for (const [name, f] of [["non-streaming", jsonFile], ["streaming", streamFile]]) {
      const w = wrk(f);
      console.log(`| ${name} | ${w.requests} | ${w.rps} | ${w.lat_p50_ms} | ${w.lat_p99_ms} | ${w.non2xx} | ${w.err_connect + w.err_read + w.err_write + w.err_timeout} |`);
    }
    console.log();
    const marks = [60, 120, 300, Number(soak) * 0.2, Number(soak) / 2, Number(soak)].filter((s, i, a) => s <= Number(soak) && a.indexOf(s) === i).sort((a, b) => a - b);
    console.log(`RSS (MB): start ${mb(rows[0][1])}, ` + marks.map((s) => `${s}s ${mb(at(s))}`).join(", ") + `; max ${mb(Math.max(...rows.map((r) => r[1])))}`);
    console.log(`steady part (${steady[0][0]}s..${steady[n - 1][0]}s, ${n} samples): ${mb(steady[0][1])} -> ${mb(steady[n - 1][1])} MB, slope ${(slope * 60 / 1024).toFixed(2)} MB/min`);
    // Minute by minute of the run: RSS (median and lowest sample: the heap breathes between
    // collections, the lowest is closest to what is live) and requests completed (access log lines,
    // by their timestamp, counted from when the load started).
    const start = Number(t0) * 1000;
    const perMinute = [];
    // Read in chunks: a long soak writes a log larger than the longest string V8 can hold.
    const decoder = new (require("string_decoder").StringDecoder)("utf8");
    const fd = fs.openSync(logFile, "r"), chunk = Buffer.alloc(16 << 20);
    let rest = "";
    for (let got; (got = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
      const lines = (rest + decoder.write(chunk.subarray(0, got))).split("\n");
      rest = lines.pop();
      for (const line of lines) {
        const m = line.includes("\"component\":\"access\"") && line.match(/"time":"([^"]+)"/);
        const minute = m ? Math.floor((Date.parse(m[1]) - start) / 60_000) : -1;
        if (minute >= 0) perMinute[minute] = (perMinute[minute] || 0) + 1;
      }
    }
    fs.closeSync(fd);
    const hhmm = (i) => new Date(start + i * 60_000).toISOString().slice(11, 16);
    const lows = [];
    console.log();
    console.log("| minute of the run | from | requests/s (access log) | RSS median MB | RSS lowest MB |");
    console.log("|---|---|---|---|---|");
    for (let i = 0; i * 60 < Number(soak); i++) {
      const inMinute = rows.filter((r) => r[0] >= i * 60 && r[0] < (i + 1) * 60).map((r) => r[1]).sort((a, b) => a - b);
      if (!inMinute.length) continue;
      const seconds = Math.min(60, Number(soak) - i * 60);
      if (i * 60 >= Number(soak) * 0.2) lows.push([i * 60, inMinute[0]]);
      console.log(`| ${i + 1} | ${hhmm(i)} | ${((perMinute[i] ?? 0) / seconds).toFixed(0)} | ${mb(inMinute[Math.floor(inMinute.length / 2)])} | ${mb(inMinute[0])} |`);
    }
    // The trend of the lowest sample per minute over the steady part: the sawtooth of collections
    // makes the slope of every sample swing by several MB/min from run to run; this is what grows.
    if (lows.length >= 3) {
      const lx = lows.reduce((a, r) => a + r[0], 0) / lows.length, ly = lows.reduce((a, r) => a + r[1], 0) / lows.length;
      const lslope = lows.reduce((a, r) => a + (r[0] - lx) * (r[1] - ly), 0) / lows.reduce((a, r) => a + (r[0] - lx) ** 2, 0);
      console.log();
      console.log(`lowest RSS per minute over the steady part: ${mb(lows[0][1])} -> ${mb(lows[lows.length - 1][1])} MB, slope ${(lslope * 60 / 1024).toFixed(2)} MB/min`);
    }
  ' "$OUT/rss.tsv" "$OUT/wrk-json.txt" "$OUT/wrk-stream.txt" "$SOAK" "$OUT/gateway.log" "$SOAK_T0"
  echo
  books=$(npx --no-install tsx bench/setup-gateway.ts check "$BENCH_DB_URL" 2>&1)
  node -e '
    const b = JSON.parse(process.argv[1]);
    const held = b.holds.filter((h) => h.state === "HELD").reduce((a, h) => a + h.n, 0);
    const n = b.receipts.reduce((a, r) => a + r.n, 0);
    const byStatus = {}; for (const r of b.receipts) byStatus[r.status] = (byStatus[r.status] || 0) + r.n;
    console.log(`> books: ${n} receipts ${JSON.stringify(byStatus)}; open holds: ${held}; ledger mismatches: ${b.ledgerMismatches}`);
  ' "$books" 2>/dev/null || echo "> could not read the books check: $books"
  errs=$(grep -cE '"level":"(warn|error|fatal)"' "$OUT/gateway.log")
  echo "> gateway log: $errs warning/error line(s)"
} | tee "$OUT/report.md"
log "report: $OUT/report.md"
exit 0
