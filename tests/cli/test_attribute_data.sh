#!/usr/bin/env bash
# tests/cli/test_attribute_data.sh - `utmost attribute --data` and `utmost journeys` end to end:
# start `utmost serve` on a fresh data directory, send Segment calls with curl (campaign page
# views on two devices joined by identify, Direct sessions, an internal referrer, conversions),
# stop it with SIGTERM, then check the credit numbers and the derived persons and touches.
# Usage: test_attribute_data.sh UTMOST
set -u
UT=$1
tmp=$(mktemp -d)
data=$tmp/data
srv_pid=
cleanup() {
    if [ -n "$srv_pid" ]; then kill -TERM "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
nok() {
    fail=$((fail + 1))
    echo "not ok $((pass + fail)) - $1"
    sed 's/^/#   stdout: /' "$tmp/out" | head -20
    sed 's/^/#   stderr: /' "$tmp/err" | head -5
}
check() { if [ "$2" = 0 ]; then ok "$1"; else nok "$1"; fi; }
# run ARGS...: the binary's stdout, stderr and exit code land in $tmp/out, $tmp/err, $rc
run() { "$UT" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

# row MODEL CHANNEL CONV VALUE: $tmp/out (csv) has that row, numbers within 1e-9 relative
row() {
    awk -F, -v m="$1" -v c="$2" -v ec="$3" -v ev="$4" '
        function near(a, b) { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; if (s < 1) s = 1; return d <= 1e-9 * s }
        $1 == m && $2 == c { found = 1; if (near($3, ec) && near($4, ev)) good = 1 }
        END { exit !(found && good) }' "$tmp/out"
}
# rows N: $tmp/out has N data rows
rows() { [ "$(tail -n +2 "$tmp/out" | grep -c .)" = "$1" ]; }

# ---- start the server and collect --------------------------------------------------------
"$UT" serve --data "$data" --listen 127.0.0.1:0 2>"$tmp/serve.log" &
srv_pid=$!
for _ in $(seq 1 100); do
    grep -q '^listening on' "$tmp/serve.log" 2>/dev/null && break
    sleep 0.1
done
port=$(sed -n 's|^listening on http://[^:]*:\([0-9]*\).*|\1|p' "$tmp/serve.log")
key=$(sed -n 's|^ *write key: *\([^ ]*\).*|\1|p' "$tmp/serve.log")
if [ -z "$port" ] || [ -z "$key" ]; then
    echo "not ok 1 - server started"
    sed 's/^/#   /' "$tmp/serve.log"
    echo "0 passed, 1 failed"
    exit 1
fi

sent=0
# post TYPE JSON: one Segment call; counts the 200 answers
post() {
    code=$(curl -s -o "$tmp/resp" -w '%{http_code}' -u "$key:" -H 'Content-Type: application/json' \
        --data-binary "$2" "http://127.0.0.1:$port/v1/$1")
    if [ "$code" = 200 ]; then sent=$((sent + 1)); else echo "# $1 -> $code: $(cat "$tmp/resp")"; fi
}
U=https://shop.example
# person A: a paid social visit on the phone, a paid search visit on the laptop, joined by identify
post page '{"anonymousId":"phone","properties":{"url":"'$U'/?utm_source=facebook&utm_medium=paid_social&utm_campaign=spring"},"timestamp":"2024-03-01T10:00:00Z"}'
post page '{"anonymousId":"laptop","properties":{"url":"'$U'/?utm_source=google&utm_medium=cpc&utm_campaign=brand","referrer":"https://www.google.com/"},"timestamp":"2024-03-02T10:00:00Z"}'
post page '{"anonymousId":"laptop","properties":{"url":"'$U'/cart","referrer":"'$U'/"},"timestamp":"2024-03-02T10:05:00Z"}'
post identify '{"anonymousId":"phone","userId":"u42","traits":{"email":"Ann@Example.com"},"timestamp":"2024-03-02T10:06:00Z"}'
post identify '{"anonymousId":"laptop","userId":"u42","timestamp":"2024-03-02T10:07:00Z"}'
post track '{"anonymousId":"laptop","userId":"u42","event":"Order Completed","properties":{"revenue":99.99,"currency":"USD"},"timestamp":"2024-03-02T10:10:00Z"}'
# person B: Direct sessions (29 minutes idle continues a session, 31 starts one), an internal page
post page '{"anonymousId":"d3","properties":{"url":"'$U'/"},"timestamp":"2024-03-03T09:00:00Z"}'
post page '{"anonymousId":"d3","properties":{"url":"'$U'/a"},"timestamp":"2024-03-03T09:29:00Z"}'
post page '{"anonymousId":"d3","properties":{"url":"'$U'/b"},"timestamp":"2024-03-03T10:00:00Z"}'
post page '{"anonymousId":"d3","properties":{"url":"'$U'/c","referrer":"'$U'/b"},"timestamp":"2024-03-03T10:20:00Z"}'
post track '{"anonymousId":"d3","event":"Signed Up","timestamp":"2024-03-03T10:30:00Z"}'
# person C: converts before any touch; a later session that starts from an internal referrer
post track '{"anonymousId":"d4","event":"Order Completed","properties":{"revenue":10,"currency":"EUR"},"timestamp":"2024-03-03T12:00:00Z"}'
post page '{"anonymousId":"d4","properties":{"url":"'$U'/x","referrer":"'$U'/"},"timestamp":"2024-03-03T12:05:00Z"}'
post track '{"anonymousId":"d4","event":"Product Viewed","timestamp":"2024-03-03T12:06:00Z"}'
[ "$sent" = 14 ]
check "the server accepted all 14 Segment calls" $?

# person D, in workspace "links" (events at the current time): a tracking-link click by a
# browser, then its landing page (utm + ut_click token) on the shop and an order
ua="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
loc=
"$UT" workspace create links --data "$data" >/dev/null 2>"$tmp/err" &&
    lkey=$("$UT" key create --workspace links --kind write --data "$data" 2>"$tmp/err") &&
    "$UT" link create --workspace links --slug spring-nl --to "$U/landing" --utm-source newsletter \
        --utm-medium email --utm-campaign may --partner acme --data "$data" >"$tmp/out" 2>"$tmp/err" &&
    loc=$(curl -s -o /dev/null -w '%{redirect_url}' -A "$ua" "http://127.0.0.1:$port/l/spring-nl")
wkey=$key
key=${lkey:-none}
sent=0
post page '{"anonymousId":"d5","properties":{"url":"'"$loc"'"}}'
post track '{"anonymousId":"d5","event":"Order Completed","properties":{"revenue":5,"currency":"USD"}}'
key=$wkey
case $loc in *ut_click=*) [ "$sent" = 2 ] ;; *) false ;; esac
check "a workspace with a tracking link: click redirected with a token, landing page sent" $?

run attribute --data "$data" --workspace default --model first --format csv
[ $rc -eq 0 ] && row first "Paid Social" 1 99.99
check "attribute reads the store while the server runs" $?

kill -TERM "$srv_pid"
wait "$srv_pid"
src=$?
srv_pid=
[ $src -eq 0 ]
check "the server stops on SIGTERM" $?

# ---- credit numbers ------------------------------------------------------------------------
run attribute --data "$data" --workspace default --model first,last,linear --format csv
[ $rc -eq 0 ] && [ "$(head -1 "$tmp/out")" = "model,channel,conversions,value" ] && rows 12 &&
    row first "Paid Social" 1 99.99 && row first "Paid Search" 0 0 && row first Direct 1 0 &&
    row first "(none)" 1 10 &&
    row last "Paid Search" 1 99.99 && row last "Paid Social" 0 0 && row last Direct 1 0 &&
    row last "(none)" 1 10 &&
    row linear "Paid Social" 0.5 49.995 && row linear "Paid Search" 0.5 49.995 &&
    row linear Direct 1 0 && row linear "(none)" 1 10
check "first, last, linear by GA4 channel group over stitched devices" $?

run attribute --data "$data" --workspace default --model first,linear --by source --format csv
[ $rc -eq 0 ] && row first facebook 1 99.99 && row first google 0 0 && row first "(direct)" 1 0 &&
    row first "(none)" 1 10 && row linear google 0.5 49.995
check "--by source" $?

run attribute --data "$data" --workspace default --model linear --by campaign --format csv
[ $rc -eq 0 ] && row linear spring 0.5 49.995 && row linear brand 0.5 49.995 &&
    row linear "(none)" 2 10
check "--by campaign: untagged touches and touchless journeys credit (none)" $?

run attribute --data "$data" --workspace default --model first --by medium --format csv
[ $rc -eq 0 ] && row first paid_social 1 99.99 && row first "(none)" 2 10
check "--by medium" $?

run attribute --data "$data" --workspace default --model first --by link --format csv
[ $rc -eq 0 ] && row first "(none)" 3 109.99 && rows 1
check "--by link: no tracking links, everything (none)" $?

run attribute --data "$data" --workspace default --model first,last --lookback 12h --format csv
[ $rc -eq 0 ] && row first "Paid Search" 1 99.99 && row first "Paid Social" 0 0
check "--lookback drops touches older than the window" $?

run attribute --data "$data" --workspace default --model first --from 2024-03-03 --format json
[ $rc -eq 0 ] && grep -q '"totals":{"conversions":2,"value":10}' "$tmp/out"
check "--from DATE keeps conversions at or after UTC midnight" $?

run attribute --data "$data" --workspace default --model first --to 2024-03-03 --format json
[ $rc -eq 0 ] && grep -q '"totals":{"conversions":1,"value":99.99}' "$tmp/out"
check "--to DATE keeps conversions before it" $?

run attribute --data "$data" --workspace default --model first --format csv \
    --from 2024-03-02T10:10:00Z --to 2024-03-02T10:10:01Z
[ $rc -eq 0 ] && row first "Paid Social" 1 99.99 && rows 2
check "--from is inclusive, timestamps with a zone" $?

run attribute --data "$data" --workspace default --model first --format csv \
    --from 2024-03-02T09:00:00Z --to 2024-03-02T10:10:00Z
[ $rc -eq 0 ] && row first "Paid Social" 0 0
check "--to is exclusive" $?

run attribute --data "$data" --workspace 1 --model all --format table
[ $rc -eq 0 ] && grep -q time_decay "$tmp/out" && grep -q markov "$tmp/out"
check "workspace by id; every model (timed ones too) runs on stored data" $?

# ---- tracking links ---------------------------------------------------------------------------
run attribute --data "$data" --workspace links --model first,linear --by link --format csv
[ $rc -eq 0 ] && row first spring-nl 1 5 && row linear spring-nl 1 5 && rows 2
check "--by link: the click and the page it landed on credit the slug" $?

run attribute --data "$data" --workspace links --model first --by partner --format csv
[ $rc -eq 0 ] && row first acme 1 5 && rows 1
check "--by partner: the link's partner" $?

run attribute --data "$data" --workspace links --model first --format csv
[ $rc -eq 0 ] && row first Email 1 5 && rows 1
check "the link's utm values classify the click and the landing page (Email)" $?

run journeys --data "$data" --workspace links --person anon:d5 --format json
[ $rc -eq 0 ] && node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const p = r.persons[0], ids = p.identifiers;
    process.exit(r.persons.length === 1 && ids.length === 3 && ids.includes("anon:d5") &&
        ids.some(i => /^click:[0-9a-f]+$/.test(i)) && ids.some(i => /^anon:(?!d5$)/.test(i)) &&
        p.touches.length === 2 && p.touches[0].type === "click" &&
        p.touches.every(t => t.link === "spring-nl" && t.partner === "acme" &&
                             t.channel === "Email" && t.campaign === "may") &&
        p.conversions.length === 1 ? 0 : 1);' "$tmp/out"
check "journeys: the click token stitches the clicking browser to the landing one" $?

# ---- exit codes ------------------------------------------------------------------------------
run attribute --data "$tmp/nothing" --workspace default --model first
[ $rc -eq 66 ]
check "no store in DIR: exit 66" $?

run attribute --data "$data" --workspace nope --model first
[ $rc -eq 65 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "unknown workspace 'nope'" "$tmp/err"
check "unknown workspace: exit 65, one line" $?

fails=0
for args in "--model first" "--workspace default" "--workspace default --model first --by bogus" \
    "--workspace default --model first --from 2024-02-30" \
    "--workspace default --model first --from 2024-03-02 --to 2024-03-01" \
    "--workspace default --model first --paths x.csv"; do
    # shellcheck disable=SC2086
    run attribute --data "$data" $args
    [ $rc -eq 64 ] || { fails=1; echo "# $args -> $rc"; }
done
run attribute --paths x.csv --from 2024-03-01 --model first
[ $rc -eq 64 ] || fails=1
[ $fails = 0 ]
check "bad usage: exit 64" $?

# ---- journeys ---------------------------------------------------------------------------------
run journeys --data "$data" --workspace default --format json
[ $rc -eq 0 ] && node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const p = r.persons;
    const a = p[0], b = p[1], c = p[2];
    process.exit(r.workspace === "default" && p.length === 3 &&
        eq(a.identifiers, ["anon:laptop", "anon:phone", "email:ann@example.com", "user:u42"]) &&
        eq(a.touches.map(t => t.channel), ["Paid Social", "Paid Search"]) &&
        eq(a.touches.map(t => t.source + "/" + t.medium + "/" + t.campaign),
           ["facebook/paid_social/spring", "google/cpc/brand"]) &&
        a.touches[0].time === "2024-03-01T10:00:00Z" && a.touches[0].event_id > 0 &&
        a.conversions.length === 1 && a.conversions[0].name === "Order Completed" &&
        a.conversions[0].value === 99.99 && a.conversions[0].currency === "USD" &&
        eq(b.identifiers, ["anon:d3"]) &&
        eq(b.touches.map(t => [t.channel, t.source, t.medium, t.time, t.session_start]),
           [["Direct", "(direct)", "(none)", "2024-03-03T09:00:00Z", true],
            ["Direct", "(direct)", "(none)", "2024-03-03T10:00:00Z", true]]) &&
        b.conversions[0].value === 0 && b.conversions[0].name === "Signed Up" &&
        eq(c.identifiers, ["anon:d4"]) && c.touches.length === 0 &&
        c.conversions[0].currency === "EUR" ? 0 : 1);' "$tmp/out"
check "journeys: stitched person, touch channels, Direct sessions, conversions" $?

run journeys --data "$data" --workspace default --person u42 --format json
[ $rc -eq 0 ] && node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(r.persons.length === 1 && r.persons[0].identifiers.includes("anon:phone") &&
        r.persons[0].touches.length === 2 ? 0 : 1);' "$tmp/out"
check "journeys --person with a bare user id" $?

fails=0
for id in anon:phone user:u42 email:ann@example.com email:Ann@Example.com; do
    run journeys --data "$data" --workspace default --person "$id" --format json
    [ $rc -eq 0 ] && grep -q '"identifiers":\["anon:laptop","anon:phone"' "$tmp/out" || fails=1
done
[ $fails = 0 ]
check "journeys --person with anon:, user: and email: identifiers" $?

run journeys --data "$data" --workspace default --person nobody
[ $rc -eq 65 ]
check "journeys --person unknown: exit 65" $?

run journeys --data "$data" --workspace default --format table
[ $rc -eq 0 ] && grep -q '^person 0: anon:laptop anon:phone email:ann@example.com user:u42$' "$tmp/out" &&
    grep -q '2024-03-01T10:00:00Z  touch  *Paid Social  *facebook' "$tmp/out" &&
    grep -q '^person 1: anon:d3$' "$tmp/out"
check "journeys --format table" $?

run journeys --workspace default
r1=$rc
run journeys --data "$tmp/nothing" --workspace default
[ $r1 -eq 64 ] && [ $rc -eq 66 ]
check "journeys: usage 64, no store 66" $?

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
