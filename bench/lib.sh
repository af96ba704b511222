# Shared by the benchmark scripts: builds the release binary and starts it on a scratch data
# directory.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# build_release EXTRA_PACKAGES...
build_release() {
  ensure_packages "${BUILD_PACKAGES[@]}" curl "$@"
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
