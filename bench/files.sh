#!/usr/bin/env bash
# Upload and download throughput of one large file through the release binary (SQLite; local
# blob store, or S3 in s3rver), against `cp` of the same file as the physical reference, plus
# the server's peak RSS.
#   bench/files.sh                 (1 GiB, local store)
#   SIZE_MB=2048 bench/files.sh
#   STORE=s3 bench/files.sh        (s3rver on this machine: measures karma and s3rver together)
source "$(dirname "$0")/lib.sh"
build_release

SIZE_MB="${SIZE_MB:-1024}"
PORT="${PORT:-3901}"
work="$(mktemp -d)"
on_exit 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"'
STORE="${STORE:-local}"
store_env=()
if [[ "$STORE" == s3 ]]; then
  ensure_node_modules "$ROOT/tests/e2e"
  start_s3rver
  store_env=(AWS_S3_BUCKET=karma-test "S3_ENDPOINT=$KARMA_TEST_S3_ENDPOINT" AWS_ACCESS_KEY_ID=S3RVER
    AWS_SECRET_ACCESS_KEY=S3RVER)
fi
start_server "$work/data" "$PORT" UPLOAD_MAX_BYTES=$((64 << 30)) "${store_env[@]}"
device=$(curl -sf -X POST "$base/api/devices" -H 'content-type: application/json' \
  -H "authorization: Bearer $TOKEN" \
  -d "{\"name\":\"Bench\",\"model\":\"EOS-3A\",\"serialNumber\":\"FB-$RANDOM\",\"mac\":\"02:00:00:00:00:01\"}" |
  sed -E 's/.*"device":\{"id":"([^"]+)".*/\1/')

head -c "$((SIZE_MB << 20))" /dev/urandom >"$work/source.bin"
mbps() { awk -v mb="$SIZE_MB" -v s="$1" 'BEGIN { printf "%.0f MB/s (%.2f s)", mb / s, s }'; }
seconds() { local start=$1; awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }

echo "# karma $(git -C "$ROOT" rev-parse --short HEAD), ${SIZE_MB} MiB file, $STORE blob store"
start=$(date +%s.%N); cp "$work/source.bin" "$work/copy.bin"; sync "$work/copy.bin"
echo "cp + sync (reference):   $(mbps "$(seconds "$start")")"
rm -f "$work/copy.bin"
start=$(date +%s.%N)
response=$(curl -sf -X POST "$base/api/devices/$device/files/upload" -H "authorization: Bearer $TOKEN" \
  -F "file=@$work/source.bin;filename=source.bin" -F path=/bench)
echo "upload:                  $(mbps "$(seconds "$start")")"
url=$(sed -E 's/.*"downloadUrl":"([^"]+)".*/\1/' <<<"$response")
start=$(date +%s.%N); cat "$work/source.bin" >/dev/null
echo "cat (reference read):    $(mbps "$(seconds "$start")")"
start=$(date +%s.%N)
curl -sf "$base$url" -H "authorization: Bearer $TOKEN" -o /dev/null
echo "download:                $(mbps "$(seconds "$start")")"
echo "server peak RSS:         $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$server/status")"
