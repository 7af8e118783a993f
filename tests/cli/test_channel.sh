#!/usr/bin/env bash
# tests/cli/test_channel.sh - `utmost channel` prints the classification of a
# landing URL and referrer as JSON; bad input exits 64/65 with one line on stderr.
set -u
UT=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
nok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $1"; sed 's/^/#   /' "$tmp/out" "$tmp/err" | head; }
# expect NAME JS-CONDITION ARGS...: exit 0 and the JSON on stdout satisfies the condition on `r`
expect() {
    local name=$1 cond=$2
    shift 2
    "$UT" channel "$@" >"$tmp/out" 2>"$tmp/err"
    if [ $? -eq 0 ] && node -e "const r = JSON.parse(require('fs').readFileSync('$tmp/out', 'utf8')); process.exit(($cond) ? 0 : 1)"; then
        ok "$name"
    else nok "$name"; fi
}
expect "utm paid search" 'r.channel === "Paid Search" && r.source === "google" && r.medium === "cpc" && r.campaign === "spring"' \
    --url 'https://shop.example/?utm_source=Google&utm_medium=CPC&utm_campaign=spring'
expect "gclid implies paid search" 'r.channel === "Paid Search" && r.click_id === "gclid"' --url 'https://shop.example/?gclid=abc'
expect "social referrer" 'r.channel === "Organic Social"' --url 'https://shop.example/' --referrer 'https://l.facebook.com/'
expect "search referrer" 'r.channel === "Organic Search" && r.medium === "organic"' --url 'https://shop.example/' --referrer 'https://www.google.co.uk/'
expect "email medium" 'r.channel === "Email"' --url 'https://shop.example/?utm_source=newsletter&utm_medium=email'
expect "internal referrer is no touch" 'r.internal_referrer === true && r.touch === false' --url 'https://shop.example/a' --referrer 'https://www.shop.example/b'
expect "no referrer is direct" 'r.channel === "Direct"' --url 'https://shop.example/'
"$UT" channel --url 'http://exa mple.com/%zz' >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 65 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok "malformed url: 65"; else nok "malformed url: 65 (exit $rc)"; fi
"$UT" channel >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 64 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok "missing --url: 64"; else nok "missing --url: 64 (exit $rc)"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
