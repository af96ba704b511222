# Shared by the benchmark scripts: builds the release binary and starts it on a scratch data
# directory.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# build_release EXTRA_PACKAGES...: unless KARMA_BIN names a binary already built.
build_release() {
  ensure_packages "${BUILD_PACKAGES[@]}" curl "$@"
  [[ -n "${KARMA_BIN:-}" ]] && return
  configure_build "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DKARMA_TESTS=OFF
  ninja -C "$ROOT/build/release" karma >&2
}

# start_server DATA_DIR PORT [VAR=value...]: sets $server (pid) and $base, waits until it
# answers, and registers a user: sets $TOKEN.
start_server() {
  local dir="$1" port="$2"
  shift 2
  env LOG_LEVEL=warn KARMA_DATA_DIR="$dir" PORT="$port" HOST=127.0.0.1 PLAN_LIMITS=off "$@" \
    "${KARMA_BIN:-$ROOT/build/release/karma}" serve >/dev/null &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
  TOKEN=$(curl -sf -X POST "$base/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"bench-$RANDOM@example.test\",\"password\":\"password123\",\"name\":\"Bench\"}" |
    sed -E 's/.*"accessToken":"([^"]+)".*/\1/')
  export TOKEN
}

# The server's database statements so far (/metrics).
statements() { curl -sf "$base/metrics" | awk '$1 == "karma_db_statements_total" { print $2 }'; }

# wrk_bench NAME WRK_ARGS...: a warm-up, then a measured wrk run with $THREADS, $CONNECTIONS,
# $DURATION; prints throughput, p50/p99 and the statements per request.
wrk_bench() {
  local name="$1" report before after requests
  shift
  echo "## $name"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-3s}" "$@" >/dev/null
  before=$(statements)
  report=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  after=$(statements)
  grep -E "Non-2xx|Socket errors" <<<"$report" || true
  requests=$(awk '/requests in/ { print $1 }' <<<"$report")
  awk -v s=$((after - before)) -v n="$requests" '
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } /Requests\/sec/ { rps = $2 }
    END { printf "   %s req/s, p50 %s, p99 %s, %.2f statements per request\n", rps, p50, p99, s / n }' \
    <<<"$report"
}
