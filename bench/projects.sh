#!/usr/bin/env bash
# Benchmarks the project list and the store search with wrk (API.md §4, §5): GET /api/projects
# for a user with 20 projects x 10 tasks x 4 members, and GET /api/store/avatars?q=… over 10 000
# public avatars. Reports p50/p99, throughput and the database statements per request.
#   bench/projects.sh                     SQLite
#   DATABASE_URL=postgresql://... bench/projects.sh
# Knobs: CONNECTIONS (64), DURATION (10s), WARMUP (3s), THREADS (2), PORT (3902), AVATARS (10000).
source "$(dirname "$0")/lib.sh"
build_release wrk
ensure_node_modules "$ROOT/tests/e2e"  # node itself

CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
PORT="${PORT:-3902}"
data_dir="$(mktemp -d)"
on_exit 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data_dir"'
start_server "$data_dir" "$PORT"
node "$ROOT/bench/seed_projects.mjs" "$base"

backend=sqlite
[[ "${DATABASE_URL:-}" == postgres* ]] && backend=postgresql
echo "# karma $(git -C "$ROOT" rev-parse --short HEAD), $backend, $CONNECTIONS connections, $DURATION"
wrk_bench "GET /api/projects (20 projects x 10 tasks x 4 members)" -s "$ROOT/bench/bearer.lua" \
  "$base/api/projects"
# A word in about 5 % of the avatars (a skill, a trade), ranked; two words; the first word
# typed half-way (a prefix), sorted by rating.
wrk_bench "GET /api/store/avatars?q=design (10 000 public avatars)" -s "$ROOT/bench/bearer.lua" \
  "$base/api/store/avatars?q=design"
wrk_bench "GET /api/store/avatars?q=video%20web" -s "$ROOT/bench/bearer.lua" \
  "$base/api/store/avatars?q=video%20web"
wrk_bench "GET /api/store/avatars?q=desi&sort=rating" -s "$ROOT/bench/bearer.lua" \
  "$base/api/store/avatars?q=desi&sort=rating"
