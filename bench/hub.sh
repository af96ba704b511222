#!/usr/bin/env bash
# The realtime hub's benchmarks (bench/hub.mjs): idle sessions' memory, fan-out latency and CPU
# on one instance and across two through Redis, and a chat run over the socket against
# POST /api/agent.
#   bench/hub.sh                      SQLite, release build
#   KARMA_BIN=build/test/karma bench/hub.sh   an existing build
# Knobs: SESSIONS (10000), FANOUT (1000), ROUNDS (30), CHATS (50), PORT (3910).
source "$(dirname "$0")/lib.sh"
build_release
ensure_node_modules "$ROOT/tests/e2e"  # ws
PORT="${PORT:-3910}"
data_dir="$(mktemp -d)"
on_exit 'kill $pids 2>/dev/null; wait $pids 2>/dev/null; rm -rf "$data_dir"'
mkdir -p "$data_dir/single" "$data_dir/pair"
start_server "$data_dir/single" "$PORT"
pid_single=$server base_single=$base
pids="$pid_single"
start_redis
shared=(SECRET_KEY=hub-bench-secret-0123456789abcdef REDIS_URL="$KARMA_TEST_REDIS_URL"
        DATABASE_URL="sqlite://$data_dir/pair/karma.db")
start_server "$data_dir/pair" "$((PORT + 1))" "${shared[@]}"
pid_a=$server base_a=$base
start_server "$data_dir/pair" "$((PORT + 2))" "${shared[@]}"
pid_b=$server base_b=$base
pids="$pids $pid_a $pid_b"
echo "# karma $(git -C "$ROOT" rev-parse --short HEAD), SQLite; one instance, then two on one Redis"
BASE=$base_single PID=$pid_single MODE=chat node "$ROOT/bench/hub.mjs"
BASE=$base_single PID=$pid_single MODE=fanout node "$ROOT/bench/hub.mjs"
BASE=$base_a PID=$pid_a BASE_B=$base_b PID_B=$pid_b MODE=fanout node "$ROOT/bench/hub.mjs"
BASE=$base_single PID=$pid_single MODE=idle node "$ROOT/bench/hub.mjs"
