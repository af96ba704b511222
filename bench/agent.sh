#!/usr/bin/env bash
# Agent runs per second with the built-in planner: every request a whole run on a new thread
# (claim, messages, state snapshot, searchDatabase over 10 devices, its result, the answer, the
# thread released), streamed as AG-UI events. Reports throughput, p50/p99 and statements per run.
#   bench/agent.sh                          SQLite
#   DATABASE_URL=postgresql://... bench/agent.sh
# Knobs: CONNECTIONS (64), DURATION (10s), THREADS (2), PORT (3903).
source "$(dirname "$0")/lib.sh"
build_release wrk

CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
PORT="${PORT:-3903}"
data_dir="$(mktemp -d)"
on_exit 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data_dir"'
start_server "$data_dir" "$PORT"
for i in $(seq 1 10); do
  curl -sf -X POST "$base/api/devices" -H 'content-type: application/json' \
    -H "authorization: Bearer $TOKEN" \
    -d "{\"name\":\"Box $i\",\"model\":\"EOS-3A\",\"serialNumber\":\"AG-$RANDOM-$i\",\"mac\":\"02:00:00:00:00:0$((i % 10))\"}" >/dev/null
done
backend=sqlite
[[ "${DATABASE_URL:-}" == postgres* ]] && backend=postgresql
echo "# karma $(git -C "$ROOT" rev-parse --short HEAD), $backend, $CONNECTIONS connections, $DURATION"
wrk_bench "POST /api/agent (planner, one run per request)" -s "$ROOT/bench/agent.lua" \
  "$base/api/agent"
