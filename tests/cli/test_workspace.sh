#!/usr/bin/env bash
# tests/cli/test_workspace.sh - workspaces and keys from the shell, and the
# conversion-event setting: `workspace set --conversion-events` decides which
# tracked events count as conversions in `attribute --data`.
set -u
UT=$1
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # NAME CONDITION...
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok $((pass + fail)) - $name"; else
        fail=$((fail + 1)); echo "not ok $((pass + fail)) - $name"; fi
}
data=$tmp/data

id=$("$UT" workspace create shop --data "$data")
check "workspace create prints only the id" [ "$id" = 1 ]
"$UT" workspace create shop --data "$data" 2>"$tmp/err" >/dev/null
check "a taken name exits 65 with one line" [ $? -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
key=$("$UT" key create --workspace shop --kind write --data "$data")
check "key create prints only the key" grep -Eqx 'utw_[0-9a-f]{48}' <<<"$key"
"$UT" key create --workspace nope --kind write --data "$data" >/dev/null 2>&1
check "key create for an unknown workspace exits 65" [ $? -eq 65 ]
"$UT" key create --workspace shop --kind owner --data "$data" >/dev/null 2>&1
check "an unknown key kind exits 64" [ $? -eq 64 ]
"$UT" workspace set shop --conversion-events 'Purchase, Trial Started' --data "$data"
check "workspace set --conversion-events" [ $? -eq 0 ]
"$UT" workspace set shop --conversion-events ' , ' --data "$data" 2>/dev/null
check "an empty event name exits 64" [ $? -eq 64 ]

"$UT" serve --data "$data" --listen 127.0.0.1:0 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/log" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/log")
post() { curl -s -o /dev/null -w '%{http_code}' -u "$key:" -H 'Content-Type: application/json' -d "$1" "$base/v1/batch"; }
code=$(post '{"batch":[
 {"type":"page","userId":"u1","messageId":"p1","timestamp":"2026-01-01T10:00:00Z",
  "context":{"page":{"url":"https://shop.example/?utm_source=newsletter&utm_medium=email"}}},
 {"type":"track","userId":"u1","event":"Purchase","messageId":"t1","timestamp":"2026-01-01T10:05:00Z",
  "properties":{"revenue":12.5}},
 {"type":"track","userId":"u1","event":"Order Completed","messageId":"t2","timestamp":"2026-01-01T10:06:00Z",
  "properties":{"revenue":99}}]}')
check "events accepted with the new key" [ "$code" = 200 ]
"$UT" key revoke "$key" --data "$data"
check "key revoke" [ $? -eq 0 ]
ok=0
for _ in $(seq 50); do [ "$(post '{"batch":[{"type":"track","userId":"u1","event":"x"}]}')" = 401 ] && ok=1 && break; sleep 0.1; done
check "a revoked key is refused while the server runs" [ $ok -eq 1 ]
"$UT" link create --data "$data" --workspace shop --slug gone --to https://shop.example/ >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/l/gone")
check "a new link redirects" [ "$code" = 302 ]
"$UT" link delete --data "$data" --workspace shop --slug gone
check "link delete" [ $? -eq 0 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/l/gone")
check "a deleted link answers 404" [ "$code" = 404 ]
"$UT" link delete --data "$data" --workspace shop --slug gone 2>/dev/null
check "deleting it again exits 65" [ $? -eq 65 ]
"$UT" link create --data "$data" --workspace shop --slug gone --to https://shop.example/ \
    >/dev/null 2>&1
check "a deleted slug is never reused" [ $? -eq 65 ]
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" [ $? -eq 0 ]
pid=
out=$("$UT" attribute --data "$data" --workspace shop --model first --format csv)
check "only the configured event converts" grep -qx 'first,Email,1,12.5' <<<"$out"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
