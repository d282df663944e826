#!/usr/bin/env bash
# One-command benchmark of TokenFlow's own cost per request:   bash bench/gateway.sh
#
# 1. waits until the machine is quiet (no vitest / playwright / next build running; polls every 30 s, up to 15 min)
# 2. needs a production build (.next/BUILD_ID; runs `next build` when it is missing)
# 3. creates a fresh, seeded database on the local Postgres (bench/setup-gateway.ts)
# 4. starts the production server the way `npm start` runs it (scripts/server.ts: /v1 on node:http, the rest
#    Next.js; NODE_ENV=production) on a free port with a clean environment and random secrets
# 5. configures it through the management API: model bench-model, an OpenAI channel pointing at the shared
#    mock upstream, an organization with $1,000,000 and an API key (no rate or spend limits)
# 6. runs the shared harness bench.sh (mock upstream + direct baseline + node-undici floor when undici is around
#    + our gateway), while bench/pg-sampler.mjs records the Postgres server's CPU
# 7. prints a compact report (bench/gateway-report.mjs), checks the books (receipts, open holds, ledger), then
#    stops everything it started and drops the database.
# Everything listens on and talks to 127.0.0.1 only. Results go to $OUT (default /tmp/tokenflow-bench/gateway-<time>).
#
# SOAK=600 runs bench/soak.sh instead of step 6-7 (10 minutes of steady load, RSS sampled; npm run bench:soak).
# Knobs (env): DURATION=10 CONNS="32 128" TESTS="json sseq sse ssewrk" PIN=split, STREAM_CHUNKS/CHUNK_DELAY_MS/...
# (passed through to bench.sh), PEERS (default "node-undici" when undici is found), UNDICI_FROM (default
# /tmp/peers/tools, else this repo), MAX_FOREIGN_PCT=40 RETRIES=1 (see README), QUIET_MAX_WAIT=900, FORCE=1 (measure even
# if the test suite is still running), KEEP_DB=1, BENCH_HARNESS=<dir of bench.sh>, GATEWAY_ENV="K=V K2=V2"
# (extra env for the gateway, e.g. TOKENFLOW_CACHE_TTL_MS=0), SERVER_NODE_ARGS (node flags, e.g. "--cpu-prof
# --cpu-prof-dir=/tmp/prof": the profile is written when the server exits), BENCH_PG_ADMIN_URL.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

OUT=${OUT:-/tmp/tokenflow-bench/gateway-$(date +%Y%m%d-%H%M%S)}
case "$(realpath -m "$OUT")/" in "$ROOT"/*) echo "OUT must be outside the repository ($OUT)" >&2; exit 1 ;; esac
mkdir -p "$OUT" || exit 1
log() { printf '[gateway-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$OUT/gateway-bench.log" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------- the shared harness (read-only; never modified) ----------------
HARNESS=""
for d in ${BENCH_HARNESS:-} "$ROOT/../shared/bench" "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null || echo "$ROOT")/../shared/bench" /work/shared/bench; do
  if [ -f "$d/bench.sh" ] && [ -f "$d/mock-upstream.mjs" ] && [ -f "$d/summarize.mjs" ]; then HARNESS=$(cd "$d" && pwd); break; fi
done
[ -n "$HARNESS" ] || die "shared bench harness not found (looked in ../shared/bench and /work/shared/bench; set BENCH_HARNESS)"
for c in node curl wrk taskset; do command -v "$c" >/dev/null || { [ "$c" = wrk ] && die "wrk missing: apt-get install -y wrk"; [ "$c" = taskset ] || die "$c missing"; }; done

# ---------------- cleanup: only what this script started ----------------
SERVER_PID=""; SAMPLER_PID=""; BENCH_DB_NAME=""; BENCH_DB_URL=""
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$c"; echo "$c"; done; }
stop_pid() { # pid [descendants too]
  local p=$1 kids="" i
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
  kids=$(descendants "$p")
  kill "$p" $kids 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" $kids 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  stop_pid "$SAMPLER_PID"
  stop_pid "$SERVER_PID"
  if [ -n "$BENCH_DB_NAME" ]; then
    if [ "${KEEP_DB:-0}" = 1 ]; then log "kept database $BENCH_DB_NAME ($BENCH_DB_URL)"
    else npx --no-install tsx bench/setup-gateway.ts drop "$BENCH_DB_NAME" && log "dropped database $BENCH_DB_NAME" || log "could not drop $BENCH_DB_NAME"; fi
  fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------- 1. wait for a quiet machine ----------------
# The test suite, builds, and other benchmarks (ours excluded: this shell and its subshells).
BUSY_RE='vitest|playwright|next build|bench/billing\.ts|shared/bench/bench\.sh|bench/gateway\.sh'
# Our own ancestors (npm run's shell, a wrapper script) are not "busy" either.
ANCESTORS=" "; a=$$; while [ -n "$a" ] && [ "$a" != 1 ] && [ "$a" != 0 ]; do ANCESTORS+="$a "; a=$(ps -o ppid= -p "$a" 2>/dev/null | tr -d ' '); done
busy() {
  local p own
  # This script's own subshells (a `$(...)` inside a `{ } | tee` block runs two levels down) match too.
  own=" $(descendants $$ | tr '\n' ' ') "
  for p in $(pgrep -f "$BUSY_RE" 2>/dev/null); do
    [[ $ANCESTORS == *" $p "* || $own == *" $p "* ]] && continue
    ps -o pid=,args= -p "$p" 2>/dev/null
  done
}
wait_for_quiet() {
  local waited=0 max=${QUIET_MAX_WAIT:-900} b
  while b=$(busy); [ -n "$b" ]; do
    if [ "$waited" -ge "$max" ]; then
      [ "${FORCE:-0}" = 1 ] && { log "still busy after ${max}s, FORCE=1: measuring anyway (numbers will be noisy)"; return 0; }
      die "the machine is still busy after ${max}s (test suite / build running): $(echo "$b" | head -3 | cut -c1-160). FORCE=1 to measure anyway"
    fi
    [ "$waited" = 0 ] && log "waiting for a quiet machine: $(echo "$b" | head -3 | cut -c1-160 | tr '\n' ';')"
    sleep 30; waited=$((waited + 30))
  done
  [ "$waited" -gt 0 ] && log "machine quiet after ${waited}s"
  return 0
}
wait_for_quiet

# ---------------- 2. production build ----------------
if [ ! -f .next/BUILD_ID ]; then
  log "no production build (.next/BUILD_ID): running next build (log: $OUT/next-build.log) ..."
  NEXT_TELEMETRY_DISABLED=1 npx --no-install next build >"$OUT/next-build.log" 2>&1 || die "next build failed (see $OUT/next-build.log)"
fi
BUILD_ID=$(cat .next/BUILD_ID)
log "build $BUILD_ID, harness $HARNESS, results $OUT"

# ---------------- 3. fresh database ----------------
setup_out=$(npx --no-install tsx bench/setup-gateway.ts create 2>"$OUT/setup-gateway.err") || die "database setup failed: $(tail -3 "$OUT/setup-gateway.err")"
eval "$(printf '%s\n' "$setup_out" | grep -E "^BENCH_DB_(URL|NAME)='[A-Za-z0-9:/@._-]+'$")"
[ -n "$BENCH_DB_URL" ] && [ -n "$BENCH_DB_NAME" ] || die "database setup printed no URL: $setup_out"
log "database $BENCH_DB_NAME"

# ---------------- 4. the server (as npm start runs it) ----------------
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
rand() { node -e "console.log(require('crypto').randomBytes($1).toString('$2'))"; }
PORT=$(free_port); MOCK_PORT=$(free_port); PEER_PORT=$(free_port)
while [ "$MOCK_PORT" = "$PORT" ] || [ "$PEER_PORT" = "$PORT" ] || [ "$PEER_PORT" = "$MOCK_PORT" ]; do MOCK_PORT=$(free_port); PEER_PORT=$(free_port); done
ADMIN_KEY=$(rand 24 base64url)
GW="http://127.0.0.1:$PORT"
# A clean environment: nothing from the caller's shell (REDIS_URL, TOKENFLOW_* overrides...) leaks into the numbers.
# shellcheck disable=SC2086
env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 \
  DATABASE_URL="$BENCH_DB_URL" TOKENFLOW_ENCRYPTION_KEY="$(rand 32 base64)" TOKENFLOW_ADMIN_KEY="$ADMIN_KEY" \
  TOKENFLOW_ALLOWED_UPSTREAMS=127.0.0.1 NEXTAUTH_SECRET="$(rand 32 base64url)" NEXTAUTH_URL="$GW" PORT="$PORT" \
  HOST=127.0.0.1 ${GATEWAY_ENV:-} node ${SERVER_NODE_ARGS:-} --import tsx scripts/server.ts >"$OUT/gateway.log" 2>&1 &
SERVER_PID=$!
api_code() { curl -s -o /dev/null -w '%{http_code}' "$GW/api/admin/models" -H "Authorization: Bearer $ADMIN_KEY"; }
for ((i = 0; i < 600; i++)); do
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -5 "$OUT/gateway.log")"
  [ "$(api_code)" = 200 ] && break
  sleep 0.1
done
[ "$(api_code)" = 200 ] || die "gateway not ready after 60 s (see $OUT/gateway.log)"
log "gateway $GW pid $SERVER_PID ($(ps -o args= -p "$SERVER_PID")$(for c in $(descendants "$SERVER_PID"); do printf ', child %s %s' "$c" "$(ps -o args= -p "$c" | cut -c1-60)"; done))"

# ---------------- 5. management API ----------------
api() { # METHOD PATH [JSON] -> response body; dies on non-2xx
  local res code
  res=$(curl -sS -X "$1" "$GW$2" -H "Authorization: Bearer $ADMIN_KEY" -H 'content-type: application/json' ${3:+-d "$3"} -w $'\n%{http_code}') || die "$1 $2: curl failed"
  code=${res##*$'\n'}; res=${res%$'\n'*}
  [[ $code == 2* ]] || die "$1 $2 -> HTTP $code: $res"
  printf '%s' "$res"
}
jget() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v==null)process.exit(1);console.log(v)})' "$1"; }
api POST /api/admin/models '{"id":"bench-model","displayName":"Bench","provider":"Bench","inputPriceUsd":"0.1","outputPriceUsd":"0.2","contextWindow":128000,"maxOutputTokens":4096,"defaultMaxOutputTokens":256}' >/dev/null
# The gateway posts to `${baseUrl}/chat/completions`; the mock serves /v1/chat/completions.
api POST /api/admin/channels "{\"name\":\"mock\",\"provider\":\"openai\",\"baseUrl\":\"http://127.0.0.1:$MOCK_PORT/v1\",\"apiKey\":\"x\",\"models\":[\"bench-model\"]}" >/dev/null
ORG_ID=$(api POST /api/admin/organizations '{"name":"bench"}' | jget id) || die "no organization id"
api POST "/api/admin/organizations/$ORG_ID/credits" '{"amountUsd":"1000000","reference":"bench"}' >/dev/null
GATEWAY_KEY=$(api POST "/api/admin/organizations/$ORG_ID/keys" '{"name":"bench"}' | jget key) || die "no API key"
log "configured: model bench-model, channel -> http://127.0.0.1:$MOCK_PORT/v1, organization $ORG_ID with \$1,000,000, key ${GATEWAY_KEY:0:8}..."

# ---------------- 6. measure ----------------
# SOAK=<seconds> (npm run bench:soak): steady load instead of the side-by-side table, memory sampled.
if [ -n "${SOAK:-}" ]; then wait_for_quiet; source "$ROOT/bench/soak.sh"; fi
if [ -z "${UNDICI_FROM:-}" ]; then
  if [ -d /tmp/peers/tools/node_modules/undici ]; then UNDICI_FROM=/tmp/peers/tools; elif [ -d "$ROOT/node_modules/undici" ]; then UNDICI_FROM=$ROOT; fi
fi
[ -n "${PEERS+x}" ] || { PEERS=""; [ -n "${UNDICI_FROM:-}" ] && PEERS="node-undici"; }
wait_for_quiet
BENCH_OUT="$OUT/bench"; mkdir -p "$BENCH_OUT"
STATS0=$(npx --no-install tsx bench/setup-gateway.ts stats "$BENCH_DB_URL" 2>/dev/null)
node bench/pg-sampler.mjs "$OUT/pg-cpu.tsv" "$BENCH_OUT/results.jsonl" 100 2>>"$OUT/gateway-bench.log" &
SAMPLER_PID=$!
log "running bench.sh (peers: ${PEERS:-none}, ${DURATION:-10}s per wrk run) ..."
GATEWAY_URL="$GW" GATEWAY_KEY="$GATEWAY_KEY" GATEWAY_MODEL=bench-model GATEWAY_PID="$SERVER_PID" PEERS="$PEERS" \
  UNDICI_FROM="${UNDICI_FROM:-}" MOCK_PORT="$MOCK_PORT" BASE_PORT=$((PEER_PORT - 1)) OUT="$BENCH_OUT" \
  MAX_FOREIGN_PCT="${MAX_FOREIGN_PCT:-40}" RETRIES="${RETRIES:-1}" bash "$HARNESS/bench.sh"
rc=$?
sampler_ms=$(awk -v c="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / c }' "/proc/$SAMPLER_PID/stat" 2>/dev/null)
stop_pid "$SAMPLER_PID"; SAMPLER_PID=""
log "pg sampler used ${sampler_ms:-?} ms CPU"
[ "$rc" = 0 ] || log "bench.sh exited with $rc"
[ -s "$BENCH_OUT/results.jsonl" ] || die "bench.sh produced no results (see $BENCH_OUT/bench.log)"
grep -q '"target":"gateway"' "$BENCH_OUT/results.jsonl" || die "no gateway results: preflight failed? $(grep -h 'target gateway' "$BENCH_OUT/bench.log" | tail -2)"

# ---------------- 7. report ----------------
{
  echo "## TokenFlow gateway benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build $BUILD_ID, $(nproc) CPUs, node $(node -v), PIN=${PIN:-split}; mock ${STREAM_CHUNKS:-20} chunks x ${CHUNK_DELAY_MS:-5} ms; raw: $BENCH_OUT"
  echo "CPU ms/req = CPU time of the process per request served in the measured window (Postgres from /proc, all its processes)."
  echo
  node bench/gateway-report.mjs "$BENCH_OUT/results.jsonl" "$OUT/pg-cpu.tsv" --json "$OUT/report.json"
  echo
  STATS1=$(npx --no-install tsx bench/setup-gateway.ts stats "$BENCH_DB_URL" 2>/dev/null)
  node -e '
    const [a, b] = process.argv.slice(1).map((s) => JSON.parse(s));
    const n = b.receipts - a.receipts, per = (k) => ((b[k] - a[k]) / n).toFixed(2);
    console.log(`> Postgres work per request (${n} receipts): ${per("xact_commit")} commits, ${per("xact_rollback")} rollbacks, ` +
      `${per("tup_inserted")} rows inserted, ${per("tup_updated")} updated, ${per("tup_fetched")} fetched, ${per("tup_returned")} returned by scans (rows and index entries), ` +
      `${(((b.wal_bytes - a.wal_bytes) / n) / 1024).toFixed(1)} KiB WAL (cluster-wide)`);
    const rows = (k) => Object.entries(b.tables).map(([t, v]) => [t, (v[k] - (a.tables[t]?.[k] ?? 0)) / n]).filter(([, r]) => r >= 0.5)
      .sort((x, y) => y[1] - x[1]).slice(0, 4).map(([t, r]) => `${t} ${r.toFixed(1)}`).join(", ") || "none";
    console.log(`> rows read per request by sequential scans: ${rows("seq")}; by index scans: ${rows("idx")}`);
  ' "$STATS0" "$STATS1" 2>/dev/null || echo "> could not read the database counters"
  books=$(npx --no-install tsx bench/setup-gateway.ts check "$BENCH_DB_URL" 2>&1)
  echo "books: $books"
  node -e '
    const b = JSON.parse(process.argv[1]);
    const bad = b.receipts.filter((r) => r.status !== 200);
    const held = b.holds.filter((h) => h.state === "HELD").reduce((a, h) => a + h.n, 0);
    const n = b.receipts.reduce((a, r) => a + r.n, 0);
    console.log(`> receipts: ${n} (${bad.length ? "NON-200: " + JSON.stringify(bad) : "all 200"}); open holds: ${held}; ledger mismatches: ${b.ledgerMismatches}${b.org ? `; org held ${b.org.held} nano-USD` : ""}`);
  ' "$books" 2>/dev/null || echo "> could not read the books check"
  errs=$(grep -E "^\[gateway\]|Error|Unhandled|Warn" "$OUT/gateway.log" | grep -cvE "^\s+at ")
  echo "> gateway log: $errs error/warning line(s)$([ "$errs" -gt 0 ] && echo " (see $OUT/gateway.log), most frequent:")"
  [ "$errs" -gt 0 ] && grep -E "^\[gateway\]|Error|Unhandled|Warn" "$OUT/gateway.log" | grep -vE "^\s+at " \
    | sed -E 's/req_[0-9a-f]+/req_*/g' | sort | uniq -c | sort -rn | head -5 | sed 's/^/>   /'
  [ "$(cat .next/BUILD_ID 2>/dev/null)" = "$BUILD_ID" ] || echo "> WARNING: .next was rebuilt during the run (another build?): results are suspect"
  b=$(busy); [ -n "$b" ] && echo "> WARNING: test-suite/build processes are running now; they may have disturbed the end of the run"
} | tee "$OUT/report.md"
log "report: $OUT/report.md (full tables: $BENCH_OUT/summary.md)"
