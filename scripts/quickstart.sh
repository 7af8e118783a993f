#!/usr/bin/env bash
# scripts/quickstart.sh - install what is missing (Debian), build an optimised
# utmost, start `utmost serve` on its embedded default (SQLite in ./utmost-data)
# and fill it with demo traffic through the real collection API: visitors
# arriving from several channels and tracking links, identifying, buying.
# The server stays in the foreground; Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target utmost
bin=build/release/utmost
data=${UTMOST_DATA:-./utmost-data}
listen=${UTMOST_LISTEN:-127.0.0.1:8080}
log=$(mktemp)

"$bin" serve --data "$data" --listen "$listen" 2> >(tee "$log" >&2) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -f "$log"' EXIT INT TERM
for _ in $(seq 100); do grep -q '^listening on' "$log" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$log")
[ -n "$base" ] || { echo "utmost did not start" >&2; exit 1; }

if [ ! -e "$data/.demo" ]; then
    echo "== seeding demo traffic" >&2
    demo_key=$("$bin" key create --workspace default --kind write --data "$data")
    "$bin" link create --data "$data" --workspace default --slug spring-ig --to https://shop.example/sale \
        --utm-source instagram --utm-medium social --utm-campaign spring --partner ana >/dev/null 2>&1 || true
    channels=("utm_source=google&utm_medium=cpc&utm_campaign=brand"
        "utm_source=newsletter&utm_medium=email&utm_campaign=weekly"
        "utm_source=facebook&utm_medium=paid_social&utm_campaign=retarget"
        "utm_source=instagram&utm_medium=social&utm_campaign=spring"
        "gclid=demo" "" "utm_source=partner-blog&utm_medium=affiliate")
    referrers=("" "" "" "https://l.instagram.com/" "" "https://www.google.com/" "")
    now=$(date -u +%s)
    for p in $(seq 1 150); do
        events=""
        n=$((p % 4 + 1))
        for k in $(seq 1 $n); do
            c=$(((p * 5 + k * 3) % ${#channels[@]}))
            t=$(date -u -d "@$((now - (p % 28) * 86400 - (n - k) * 7200))" +%Y-%m-%dT%H:%M:%SZ)
            events+="{\"type\":\"page\",\"anonymousId\":\"demo-$p\",\"messageId\":\"demo-$p-$k\",\"timestamp\":\"$t\","
            events+="\"context\":{\"page\":{\"url\":\"https://shop.example/?${channels[$c]}\",\"referrer\":\"${referrers[$c]}\"}}},"
        done
        if [ $((p % 3)) -eq 0 ]; then
            t=$(date -u -d "@$((now - (p % 28) * 86400 + 600))" +%Y-%m-%dT%H:%M:%SZ)
            events+="{\"type\":\"identify\",\"anonymousId\":\"demo-$p\",\"userId\":\"user-$p\",\"messageId\":\"demo-$p-id\",\"timestamp\":\"$t\",\"traits\":{\"email\":\"user$p@example.com\"}},"
            events+="{\"type\":\"track\",\"userId\":\"user-$p\",\"event\":\"Order Completed\",\"messageId\":\"demo-$p-order\",\"timestamp\":\"$t\",\"properties\":{\"revenue\":$((20 + p % 80)).90,\"currency\":\"USD\"}},"
        fi
        curl -sf -u "$demo_key:" -H 'Content-Type: application/json' \
            -d "{\"batch\":[${events%,}]}" "$base/v1/batch" >/dev/null
    done
    touch "$data/.demo"
fi
cat >&2 <<MSG

utmost is running at $base (data in $data). Try, in another terminal:
  $bin attribute --data $data --workspace default --model all --format table
  $bin journeys --data $data --workspace default --format table | head -40
  curl -u WRITE_KEY: $base/v1/track -d '{"userId":"u1","event":"Signed Up"}'
Ctrl-C stops the server.
MSG
wait $pid
