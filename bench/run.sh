#!/usr/bin/env bash
# Benchmarks the release binary with wrk: GET /healthz, authenticated GET /api/auth/me, the
# device list (200 devices seeded) and device-token heartbeats.
#   bench/run.sh                 SQLite (embedded default)
#   DATABASE_URL=postgresql://... bench/run.sh
# Knobs: CONNECTIONS (64), DURATION (10s), WARMUP (3s), THREADS (2), PORT (3900).
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

run() {
  local name="$1"
  shift
  echo "## $name"
  # Warm-up first: caches, prepared statements and PostgreSQL's statistics of the fresh rows.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-3s}" "$@" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | grep -E "Requests/sec|99%|Non-2xx|Socket errors"
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
