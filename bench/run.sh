#!/usr/bin/env bash
# Benchmarks the release binary with wrk: GET /healthz, authenticated GET /api/auth/me, the
# device list (200 devices seeded) and device-token heartbeats.
#   bench/run.sh                 SQLite (embedded default)
#   DATABASE_URL=postgresql://... bench/run.sh
# Knobs: CONNECTIONS (64), DURATION (10s), WARMUP (3s), RUNS (3), THREADS (2), PORT (3900).
# Each endpoint is measured RUNS times after its warm-up; every run is printed and the run with
# the median p99 is reported (this host's neighbours move single runs by a third).
source "$(dirname "$0")/lib.sh"
build_release wrk

CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
PORT="${PORT:-3900}"
data_dir="$(mktemp -d)"
on_exit 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data_dir"'
export DEVICES_FILE="$data_dir/devices.txt"
start_server "$data_dir" "$PORT"

# p99 of a wrk --latency report, in ms.
p99_ms() {
  awk '$1 == "99%" { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0;
                     else if (v ~ /s$/) v = v * 1000; printf "%.2f", v }'
}

run() {
  local name="$1" runs=() report
  shift
  echo "## $name"
  # Warm-up first: caches, prepared statements and PostgreSQL's statistics of the fresh rows.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-3s}" "$@" >/dev/null
  for _ in $(seq 1 "${RUNS:-3}"); do
    report=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
    grep -E "Non-2xx|Socket errors" <<<"$report" || true
    runs+=("$(p99_ms <<<"$report") $(awk '/Requests\/sec/ { print $2 }' <<<"$report")")
    echo "   run: p99 ${runs[-1]% *} ms, ${runs[-1]#* } req/s"
  done
  printf '%s\n' "${runs[@]}" | sort -n | awk '{ r[NR] = $0 } END { split(r[int((NR + 1) / 2)], m, " ");
    printf "   median run: p99 %s ms, %s req/s\n", m[1], m[2] }'
}

backend=sqlite
[[ "${DATABASE_URL:-}" == postgres* ]] && backend=postgresql
echo "# karma $(git -C "$ROOT" rev-parse --short HEAD), $backend, $CONNECTIONS connections, $DURATION"
run "GET /healthz" "$base/healthz"
run "GET /api/auth/me (bearer)" -s "$ROOT/bench/bearer.lua" "$base/api/auth/me"

for i in $(seq 1 200); do
  created=$(curl -sf -X POST "$base/api/devices" -H 'content-type: application/json' \
    -H "authorization: Bearer $TOKEN" \
    -d "{\"name\":\"Bench $i\",\"model\":\"EOS-3A\",\"serialNumber\":\"BENCH-$RANDOM-$i\",\"mac\":\"02:00:00:00:00:01\"}")
  sed -E 's/.*"device":\{"id":"([^"]+)".*"deviceToken":"([^"]+)".*/\1 \2/' <<<"$created" >>"$DEVICES_FILE"
done
run "GET /api/devices?page=1&pageSize=20 (200 devices)" -s "$ROOT/bench/bearer.lua" \
  "$base/api/devices?page=1&pageSize=20"
run "POST /api/devices/:id/heartbeat (device token, 200 devices)" -s "$ROOT/bench/heartbeat.lua" "$base"
