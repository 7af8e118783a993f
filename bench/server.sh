#!/usr/bin/env bash
# bench/server.sh - load the collection server with wrk on loopback, durable
# (synchronous=FULL, answered after commit): /v1/batch (100 events per request),
# /v1/track and the /l/SLUG redirect. Prints wrk's summaries with latency
# percentiles. Usage: bench/server.sh [--duration 10s] [--connections 64] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10s conns=64 wthreads=1
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --threads) wthreads=$2; shift 2 ;;
    *) echo "usage: bench/server.sh [--duration 10s] [--connections 64] [--threads 1]" >&2; exit 64 ;;
    esac
done
command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
cmake --preset release >/dev/null
cmake --build --preset release --target utmost >/dev/null
data=$(mktemp -d)
log=$data/server.log
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
build/release/utmost serve --data "$data/db" --listen 127.0.0.1:0 --rate-limit 0 \
    --max-connections-per-ip 1024 2>"$log" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$log" && break; sleep 0.1; done
port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$log")
key=$(sed -n 's/^  write key: //p' "$log")
export UT_AUTH=$(printf '%s:' "$key" | base64 -w0) UT_WRK_DIR=$PWD/bench/wrk
url=http://127.0.0.1:$port
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== /v1/batch, 100 events per request, $conns connections, $duration"
wrk -t"$wthreads" -c"$conns" -d"$duration" --latency -s bench/wrk/batch.lua "$url"
echo "== /v1/track, 1 event per request"
wrk -t"$wthreads" -c"$conns" -d"$duration" --latency -s bench/wrk/track.lua "$url"
if build/release/utmost link create --help >/dev/null 2>&1; then
    build/release/utmost link create --data "$data/db" --workspace default --slug bench \
        --to https://shop.example/landing --utm-source newsletter --utm-medium email >/dev/null
    echo "== GET /l/bench (302 redirect, click stored before the answer)"
    wrk -t"$wthreads" -c"$conns" -d"$duration" --latency "$url/l/bench"
fi
kill -TERM $pid
wait $pid || true
grep 'stopped;' "$log" || true
echo "events stored: $(sqlite3 "$data/db/utmost.db" 'select count(*) from events' 2>/dev/null || echo '?')"
