# Shared by scripts/run and scripts/test. Every step is idempotent and cheap when already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths under the checkout hash as relative ones: another clone (CI's) hits the same cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
# Lets ccache cache the TUs compiled with a precompiled header (src/http).
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"

BUILD_PACKAGES=(g++ cmake ninja-build pkg-config ccache libboost1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libssl-dev libpq-dev libsqlite3-dev libsodium-dev libspdlog-dev
  libcli11-dev libhiredis-dev libjemalloc-dev zlib1g-dev libicu-dev)
TEST_PACKAGES=(libgtest-dev librapidcheck-dev postgresql redis-server openssl chromium nginx)
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# on_exit COMMAND: runs COMMAND when the script exits, after the ones registered before it.
EXIT_HOOKS=()
on_exit() {
  EXIT_HOOKS+=("$1")
  trap 'for hook in "${EXIT_HOOKS[@]}"; do eval "$hook"; done' EXIT
}

# Installs the Debian packages that are missing; no network when all are present.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# configure_build DIR [cmake args...]: configures once, then only builds (incremental).
configure_build() {
  local dir="$1"
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    log "configuring $dir"
    cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  fi
}

# Starts the local PostgreSQL cluster if needed and makes the test role and database.
# Prints the URL tests connect with.
ensure_postgres() {
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    log "starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -n | tail -1)
    pg_ctlcluster "$version" main start >&2 || true
    for _ in $(seq 1 60); do
      pg_isready -h 127.0.0.1 -p 5432 -q && break
      sleep 0.5
    done
    pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL did not start" >&2; return 1; }
  fi
  local psql=(runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA)
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'karma'") ]]; then
    "${psql[@]}" -c "CREATE ROLE karma LOGIN PASSWORD 'karma' CREATEDB" >&2
  fi
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'karma_test'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE karma_test OWNER karma" >&2
  fi
  echo "postgresql://karma:karma@127.0.0.1:5432/karma_test"
}

# ensure_node_modules DIR: installs DIR's npm packages when its lock file changed.
ensure_node_modules() {
  # A machine that brings its own Node keeps it; Debian's is the fallback.
  command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
  local dir="$1"
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules/.stamp" ]]; then
    log "installing npm packages of ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2 && mkdir -p node_modules && touch node_modules/.stamp)
  fi
}

# Starts two s3rver instances on free ports, plain HTTP and HTTPS (a self-signed certificate
# made here), each with the bucket karma-test, and exports their endpoints and the certificate
# for the tests. Both stop, and their data goes, when the calling script exits.
# start_redis: a throwaway redis-server on a free port for this run (KARMA_TEST_REDIS_URL).
start_redis() {
  local port dir
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  dir=$(mktemp -d "${TMPDIR:-/tmp}/karma-redis.XXXXXX")
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    >"$dir/redis.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; rm -rf '$dir'"
  for _ in $(seq 1 100); do
    [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && break
    sleep 0.1
  done
  [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] ||
    { cat "$dir/redis.log" >&2; echo "redis-server did not start" >&2; return 1; }
  export KARMA_TEST_REDIS_URL="redis://127.0.0.1:$port"
  export KARMA_REQUIRE_REDIS=1
}

start_s3rver() {
  local dir bin
  dir=$(mktemp -d "${TMPDIR:-/tmp}/karma-s3.XXXXXX")
  bin="$ROOT/tests/e2e/node_modules/.bin/s3rver"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  "$bin" -d "$dir/plain" -a 127.0.0.1 -p 0 --silent --configure-bucket karma-test >"$dir/plain.log" 2>&1 &
  local plain=$!
  "$bin" -d "$dir/tls" -a 127.0.0.1 -p 0 --silent --key "$dir/key.pem" --cert "$dir/cert.pem" \
    --configure-bucket karma-test >"$dir/tls.log" 2>&1 &
  local tls=$!
  on_exit "kill $plain $tls 2>/dev/null; rm -rf '$dir'"
  local port_of
  port_of() { sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1"; }
  for _ in $(seq 1 100); do
    [[ -n $(port_of "$dir/plain.log") && -n $(port_of "$dir/tls.log") ]] && break
    sleep 0.1
  done
  [[ -n $(port_of "$dir/plain.log") && -n $(port_of "$dir/tls.log") ]] ||
    { cat "$dir"/*.log >&2; echo "s3rver did not start" >&2; return 1; }
  export KARMA_TEST_S3_ENDPOINT="http://127.0.0.1:$(port_of "$dir/plain.log")"
  export KARMA_TEST_S3_TLS_ENDPOINT="https://127.0.0.1:$(port_of "$dir/tls.log")"
  export KARMA_TEST_S3_CA_FILE="$dir/cert.pem"
  export KARMA_REQUIRE_S3=1
}
