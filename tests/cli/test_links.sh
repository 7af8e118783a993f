#!/usr/bin/env bash
# tests/cli/test_links.sh - tracking links, the JS pixel and pixel.gif end to end: the real
# `utmost serve` on 127.0.0.1 (port 0) over a temporary data directory, driven with curl and the
# CLI, checked through the answers and, with sqlite3, the rows in DIR/utmost.db; then SIGTERM and
# a clean exit. Usage: test_links.sh UTMOST   (needs curl, sqlite3 and node)
set -u
UT=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
data="$tmp/data"
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
nok() {
    fail=$((fail + 1))
    echo "not ok $((pass + fail)) - $1"
    sed 's/^/#   hdr: /' "$tmp/hdr" 2>/dev/null | tr -d '\r' | head -12
    sed 's/^/#   body: /' "$tmp/body" 2>/dev/null | head -5
}
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

for tool in curl sqlite3 node; do
    if ! command -v $tool >/dev/null; then
        echo "not ok 1 - $tool is required (scripts/deps.sh installs it)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

# ---- start the server ------------------------------------------------------------------------
"$UT" serve --data "$data" --listen 127.0.0.1:0 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 100); do
    grep -q '^listening on' "$tmp/serve.err" 2>/dev/null && break
    sleep 0.1
done
port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/serve.err")
wkey=$(sed -n 's/^ *write key: //p' "$tmp/serve.err")
akey=$(sed -n 's/^ *admin key: //p' "$tmp/serve.err")
if [ -z "$port" ] || [ -z "$wkey" ] || [ -z "$akey" ]; then
    echo "not ok 1 - server started"; sed 's/^/#   /' "$tmp/serve.err"; echo "0 passed, 1 failed"; exit 1
fi
ok "server started on port $port and printed its keys"
B="http://127.0.0.1:$port"

# req METHOD PATH [CURL ARGS...]: status in $code, headers in $tmp/hdr, body in $tmp/body
req() {
    local m=$1 p=$2
    shift 2
    rm -f "$tmp/hdr" "$tmp/body" # curl leaves the old file when there is no body
    code=$(curl -s -X "$m" -D "$tmp/hdr" -o "$tmp/body" -w '%{http_code}' "$@" "$B$p")
}
head_req() { rm -f "$tmp/hdr"; code=$(curl -s -I -D "$tmp/hdr" -o /dev/null -w '%{http_code}' "$@"); }
hdr() { tr -d '\r' <"$tmp/hdr" | sed -n "s/^$1: //Ip" | head -1; }
# js COND: the JSON body satisfies COND on `r`
js() { node -e "const r = JSON.parse(require('fs').readFileSync('$tmp/body', 'utf8')); process.exit(($1) ? 0 : 1)" 2>/dev/null; }
q() { sqlite3 "$data/utmost.db" "$1"; }

# ---- CLI: utmost link create ---------------------------------------------------------------------
"$UT" link create --workspace default --slug cli-link --to 'https://example.com/landing?ref=x#top' \
    --utm-source newsletter --utm-medium email --utm-campaign 'Spring Sale' --partner acme \
    --data "$data" >"$tmp/body" 2>"$tmp/err"
rc=$?
check "cli: link create prints the link as JSON" '[ $rc -eq 0 ] && js "r.slug === \"cli-link\" && r.destination === \"https://example.com/landing?ref=x#top\" && r.utm_campaign === \"Spring Sale\" && r.partner === \"acme\" && r.utm_term === null && r.clicks === 0 && r.id > 0"'
cli_rc() { "$UT" link "$@" --data "$data" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
cli_rc create --workspace default --slug 'bad slug' --to https://example.com/
check "cli: bad slug exits 65 with one line" '[ $rc -eq 65 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- --slug "$tmp/err"'
cli_rc create --workspace default --slug ok1 --to ftp://example.com/
check "cli: non-http destination exits 65" '[ $rc -eq 65 ] && grep -q -- --to "$tmp/err"'
cli_rc create --workspace default --slug ok1 --to https://example.com/ --utm-source "$(printf 'a\tb')"
check "cli: control byte in a utm value exits 65" '[ $rc -eq 65 ] && grep -q -- --utm-source "$tmp/err"'
cli_rc create --workspace default --slug cli-link --to https://example.com/
check "cli: taken slug exits 65" '[ $rc -eq 65 ] && grep -q "already taken" "$tmp/err"'
cli_rc create --workspace nope --slug ok2 --to https://example.com/
check "cli: unknown workspace exits 65" '[ $rc -eq 65 ] && grep -q "no workspace" "$tmp/err"'
cli_rc create --workspace default --slug ok3
check "cli: missing --to exits 64" '[ $rc -eq 64 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]'
cli_rc create --workspace default --slug ok3 --to https://example.com/ --bogus
check "cli: unknown option exits 64" '[ $rc -eq 64 ]'
cli_rc list --workspace 1
check "cli: link list by workspace id" '[ $rc -eq 0 ] && cp "$tmp/out" "$tmp/body" && js "r.links.length === 1 && r.links[0].slug === \"cli-link\""'

# ---- API: create, auth ---------------------------------------------------------------------------
req POST /api/v1/links -H "Authorization: Bearer $akey" \
    -d '{"slug":"spring","destination":"https://shop.example.com/sale?utm_source=keep#pricing","utm_source":"ignored","utm_medium":"cpc","utm_campaign":"spring","partner":null}'
check "api: POST with a Bearer admin key creates (201, Location)" '[ "$code" = 201 ] && [ "$(hdr Location)" = /api/v1/links/spring ] && js "r.slug === \"spring\" && r.utm_medium === \"cpc\" && r.partner === null && r.path === \"/l/spring\""'
req GET /api/v1/links -u "$akey:"
check "api: GET list with a Basic admin key" '[ "$code" = 200 ] && js "r.links.length === 2 && r.links.every(l => typeof l.clicks === \"number\" && typeof l.bot_clicks === \"number\")"'
req GET /api/v1/links
check "api: no key is 401" '[ "$code" = 401 ]'
req GET /api/v1/links -H "Authorization: Bearer uta_0000000000000000000000000000000000000000000000"
check "api: unknown key is 401" '[ "$code" = 401 ]'
req GET /api/v1/links -u "$wkey:"
check "api: write key is 403" '[ "$code" = 403 ]'
rkey=$("$UT" key create --workspace default --kind read --data "$data")
sleep 0.1
req POST /api/v1/links -H "Authorization: Bearer $rkey" -d '{"slug":"r","destination":"https://e.com/"}'
check "api: read key is 403" '[ "$code" = 403 ]'

# ---- API: validation -------------------------------------------------------------------------------
A=(-H "Authorization: Bearer $akey")
req POST /api/v1/links "${A[@]}" -d '{"slug":"x","destination":'
check "api: malformed JSON is 400" '[ "$code" = 400 ] && js "r.success === false"'
req POST /api/v1/links "${A[@]}" -d '[1,2]'
check "api: a non-object body is 400" '[ "$code" = 400 ]'
req POST /api/v1/links "${A[@]}" -d '{"slug":"x"}'
check "api: missing destination is 400 naming it" '[ "$code" = 400 ] && js "r.field === \"destination\""'
req POST /api/v1/links "${A[@]}" -d '{"slug":"no/slash","destination":"https://e.com/"}'
check "api: bad slug is 400 naming it" '[ "$code" = 400 ] && js "r.field === \"slug\""'
req POST /api/v1/links "${A[@]}" -d "{\"slug\":\"$(printf 'a%.0s' $(seq 65))\",\"destination\":\"https://e.com/\"}"
check "api: 65-character slug is 400" '[ "$code" = 400 ] && js "r.field === \"slug\""'
req POST /api/v1/links "${A[@]}" -d '{"slug":"x","destination":"javascript:alert(1)"}'
check "api: non-http destination is 400" '[ "$code" = 400 ] && js "r.field === \"destination\""'
req POST /api/v1/links "${A[@]}" -d '{"slug":"x","destination":"https://e.com/","utm_source":5}'
check "api: a number where a string belongs is 400 naming it" '[ "$code" = 400 ] && js "r.field === \"utm_source\""'
req POST /api/v1/links "${A[@]}" -d '{"slug":"x","destination":"https://e.com/","utm_sorce":"typo"}'
check "api: an unknown member is 400 naming it" '[ "$code" = 400 ] && js "r.field === \"utm_sorce\""'
req POST /api/v1/links "${A[@]}" -d '{"slug":"x","slug":"y","destination":"https://e.com/"}'
check "api: a duplicate member is 400" '[ "$code" = 400 ] && js "r.field === \"slug\""'
req POST /api/v1/links "${A[@]}" -d '{"slug":"x","destination":"https://e.com/","partner":[[[[[[1]]]]]]}'
check "api: deep nesting is refused" '[ "$code" = 413 ] || [ "$code" = 400 ]'
printf '{"slug":"big","destination":"https://e.com/","partner":"%s"}' "$(head -c 17000 /dev/zero | tr '\0' a)" >"$tmp/big.json"
req POST /api/v1/links "${A[@]}" --data-binary @"$tmp/big.json"
check "api: body over 16 KiB is 413" '[ "$code" = 413 ]'
req POST /api/v1/links "${A[@]}" -d '{"slug":"spring","destination":"https://e.com/"}'
check "api: taken slug is 409" '[ "$code" = 409 ] && js "r.field === \"slug\""'
req PUT /api/v1/links "${A[@]}"
check "api: unsupported method is 405" '[ "$code" = 405 ]'

# ---- API: another workspace never sees this one's links -----------------------------------------
"$UT" workspace create other --data "$data" >/dev/null
okey=$("$UT" key create --workspace other --kind admin --data "$data")
sleep 0.1
O=(-H "Authorization: Bearer $okey")
req GET /api/v1/links/spring "${O[@]}"
check "api: another workspace's link is 404 on GET" '[ "$code" = 404 ]'
req PATCH /api/v1/links/spring "${O[@]}" -d '{"utm_medium":"x"}'
check "api: ... and on PATCH" '[ "$code" = 404 ]'
req DELETE /api/v1/links/spring "${O[@]}"
check "api: ... and on DELETE" '[ "$code" = 404 ]'
req GET /api/v1/links "${O[@]}"
check "api: the other workspace's list is empty" '[ "$code" = 200 ] && js "r.links.length === 0"'
req POST /api/v1/links "${O[@]}" -d '{"slug":"spring","destination":"https://e.com/"}'
check "api: slugs are unique across workspaces (409)" '[ "$code" = 409 ]'
req GET /api/v1/links/nope "${A[@]}"
check "api: unknown slug is 404" '[ "$code" = 404 ]'

# ---- API: PATCH ----------------------------------------------------------------------------------------
req PATCH /api/v1/links/cli-link "${A[@]}" -d '{"utm_campaign":"Summer","partner":null,"clicks":99}'
check "api: PATCH changes given members, null clears, read-only members ignored" '[ "$code" = 200 ] && js "r.utm_campaign === \"Summer\" && r.partner === null && r.utm_source === \"newsletter\" && r.clicks === 0"'
req PATCH /api/v1/links/cli-link "${A[@]}" -d '{"slug":"renamed"}'
check "api: PATCH cannot rename" '[ "$code" = 400 ] && js "r.field === \"slug\""'
req PATCH /api/v1/links/cli-link "${A[@]}" -d '{"destination":"not a url"}'
check "api: PATCH validates" '[ "$code" = 400 ] && js "r.field === \"destination\""'

# ---- redirect ------------------------------------------------------------------------------------------
UA_CHROME='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
req GET '/l/spring?gclid=Cj0KCQ&fbclid=IwAR&session=drop' -A "$UA_CHROME" -e 'https://news.example.org/post/1'
loc=$(hdr Location)
cookie=$(hdr Set-Cookie)
token=$(printf '%s' "$loc" | sed -n 's/.*[?&]ut_click=\([0-9a-f]*\).*/\1/p')
vid=$(printf '%s' "$cookie" | sed -n 's/^ut_vid=\([0-9a-f]*\);.*/\1/p')
check "redirect: 302 to the destination" '[ "$code" = 302 ] && case "$loc" in https://shop.example.com/sale?*) true;; *) false;; esac'
check "redirect: the destination's own utm_source is kept, the link's others added" 'case "$loc" in *"?utm_source=keep&utm_medium=cpc&utm_campaign=spring&"*) true;; *) false;; esac'
check "redirect: click ids passed through, other parameters not" 'case "$loc" in *"&gclid=Cj0KCQ&fbclid=IwAR&ut_click="*) ! printf %s "$loc" | grep -q session;; *) false;; esac'
check "redirect: 128-bit ut_click token, fragment kept last" '[ ${#token} -eq 32 ] && case "$loc" in *"#pricing") true;; *) false;; esac'
check "redirect: ut_vid cookie (128-bit hex, 2 years, Path=/, SameSite=Lax, HttpOnly)" '[ ${#vid} -eq 32 ] && printf %s "$cookie" | grep -q "Max-Age=63072000" && printf %s "$cookie" | grep -q "Path=/" && printf %s "$cookie" | grep -q "SameSite=Lax" && printf %s "$cookie" | grep -q "HttpOnly"'
check "redirect: not cacheable" '[ "$(hdr Cache-Control)" = no-store ]'
req GET /l/spring -A "$UA_CHROME" -b "ut_vid=$vid"
check "redirect: a known visitor gets no new cookie" '[ "$code" = 302 ] && [ -z "$(hdr Set-Cookie)" ]'
token2=$(hdr Location | sed -n 's/.*[?&]ut_click=\([0-9a-f]*\).*/\1/p')
check "redirect: every click gets its own token" '[ ${#token2} -eq 32 ] && [ "$token2" != "$token" ]'
head_req "$B/l/spring"
check "redirect: HEAD answers 302 without a token" '[ "$code" = 302 ] && ! hdr Location | grep -q ut_click'
for ua in 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' \
    'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' \
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'; do
    req GET /l/spring -A "$ua"
    [ "$code" = 302 ] && ! hdr Location | grep -q ut_click && [ -z "$(hdr Set-Cookie)" ] || break
done
check "redirect: bots get the redirect without token or cookie" '[ "$code" = 302 ] && ! hdr Location | grep -q ut_click'
req GET /api/v1/links/spring "${A[@]}"
check "api: clicks and bot clicks are counted apart" '[ "$code" = 200 ] && js "r.clicks === 2 && r.bot_clicks === 4"'
req GET /l/nope
check "redirect: unknown slug is a 404 HTML page" '[ "$code" = 404 ] && hdr Content-Type | grep -q text/html'
req GET '/l/bad%20slug'
check "redirect: invalid slug is 404" '[ "$code" = 404 ]'
long=$(head -c 9000 /dev/zero | tr '\0' a)
req GET "/l/spring?gclid=$long" -A "$UA_CHROME"
check "redirect: a query over 8 KiB is refused" '[ "$code" = 414 ]'
req GET '/l/cli-link' -A "$UA_CHROME"
check "redirect: a PATCHed link redirects with its new values" '[ "$code" = 302 ] && hdr Location | grep -q "^https://example.com/landing?ref=x&utm_source=newsletter&utm_medium=email&utm_campaign=Summer&ut_click=[0-9a-f]*#top$"'

# ---- what was stored -------------------------------------------------------------------------------------
check "db: human clicks with link, visitor, referrer, user agent, truncated ip" '[ "$(q "select count(*) from clicks where token = '"'$token'"' and visitor_id = '"'$vid'"' and referrer = '"'https://news.example.org/post/1'"' and user_agent like '"'Mozilla/5.0%'"' and ip_truncated = '"'127.0.0.0'"' and is_bot = 0 and link_id = (select id from links where slug = '"'spring'"')")" = 1 ]'
check "db: bot clicks have no token and no event" '[ "$(q "select count(*) from clicks where is_bot = 1 and token is null")" = 4 ] && [ "$(q "select count(*) from events where type = '"'click'"'")" = 3 ]'
check "db: the click event is a classified touch" '[ "$(q "select count(*) from events where type = '"'click'"' and message_id = '"'click-$token'"' and anonymous_id = '"'$vid'"' and click_token = '"'$token'"' and name = '"'spring'"' and is_candidate = 1 and referrer = '"'https://news.example.org/post/1'"' and medium = '"'cpc'"' and url like '"'https://shop.example.com/sale?%ut_click=$token#pricing'"'")" = 1 ]'
check "db: identity evidence anon:<visitor> <-> click:<token>" '[ "$(q "select count(*) from identity_edges where a = '"'anon:$vid'"' and b = '"'click:$token'"'")" = 1 ]'

# ---- DELETE ---------------------------------------------------------------------------------------------
req DELETE /api/v1/links/cli-link "${A[@]}"
check "api: DELETE is 204" '[ "$code" = 204 ] && [ ! -s "$tmp/body" ]'
req GET /l/cli-link
check "redirect: a deleted link is 404" '[ "$code" = 404 ]'
req GET /api/v1/links/cli-link "${A[@]}"
check "api: a deleted link is 404" '[ "$code" = 404 ]'
req POST /api/v1/links "${A[@]}" -d '{"slug":"cli-link","destination":"https://e.com/"}'
check "api: a deleted slug is never reused (409)" '[ "$code" = 409 ]'

# ---- the JS pixel ------------------------------------------------------------------------------------------
req GET /u.js
etag=$(hdr ETag)
check "u.js: the embedded script, JavaScript, cacheable an hour, with an ETag" '[ "$code" = 200 ] && hdr Content-Type | grep -q "^application/javascript" && [ "$(hdr Cache-Control)" = "public, max-age=3600" ] && [ -n "$etag" ] && cmp -s "$tmp/body" "$SRC/web/pixel/u.js"'
req GET /u.js -H "If-None-Match: $etag"
check "u.js: If-None-Match answers 304 without a body" '[ "$code" = 304 ] && [ ! -s "$tmp/body" ] && [ "$(hdr ETag)" = "$etag" ]'
req GET /u.js -H 'If-None-Match: "other"'
check "u.js: another ETag gets the script" '[ "$code" = 200 ] && [ -s "$tmp/body" ]'
req POST /v1/page -H 'Content-Type: text/plain;charset=UTF-8' \
    -d "{\"writeKey\":\"$wkey\",\"anonymousId\":\"aid-beacon\",\"messageId\":\"ut-beacon-1\",\"context\":{\"page\":{\"url\":\"https://shop.example.com/?ut_click=$token\"},\"library\":{\"name\":\"utmost.js\"}}}"
check "segment: a sendBeacon body (text/plain, writeKey inside) is accepted with CORS" '[ "$code" = 200 ] && [ "$(hdr Access-Control-Allow-Origin)" = "*" ]'
check "db: the landing page joins the click token to the page's browser" '[ "$(q "select count(*) from identity_edges where a = '"'anon:aid-beacon'"' and b = '"'click:$token'"'")" = 1 ]'

# the script's own calls, made in node with a stub browser, are accepted as they are sent
cat >"$tmp/emit.js" <<'EOF'
const fs = require('fs'), vm = require('vm'), crypto = require('crypto');
const [file, key, base, token] = process.argv.slice(2);
let jar = '';
const document = {get cookie() { return jar; }, set cookie(s) { jar = s.split(';')[0]; }, title: 'Sale',
    referrer: 'https://www.google.com/', currentScript: {src: base + '/u.js', getAttribute: a => a === 'data-key' ? key : null}};
const window = {crypto: crypto.webcrypto, localStorage: {getItem: () => null, setItem() {}}};
window.utmost = function () { (window.utmost.q = window.utmost.q || []).push(arguments); };
window.utmost('identify', 'js-user', {email: 'js@example.com'});
window.utmost('track', 'Order Completed', {revenue: 19.99, currency: 'EUR'});
const navigator = {userAgent: 'Test/1', language: 'en', sendBeacon: (u, d) => { console.log(u + '\t' + d); return true; }};
vm.runInNewContext(fs.readFileSync(file, 'utf8'), {window, document, navigator, URL, URLSearchParams, Uint8Array,
    location: new URL('https://shop.example.com/p?utm_source=nl&utm_medium=email&gclid=G1&ut_click=' + token)});
EOF
codes=""
while IFS=$'\t' read -r u d; do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain;charset=UTF-8' --data-binary "$d" "$u")"
done < <(node "$tmp/emit.js" "$SRC/web/pixel/u.js" "$wkey" "$B" "$token")
check "u.js: its identify, track and page calls are accepted ($codes)" '[ "$codes" = " 200 200 200" ]'
check "db: the script's events: user, revenue, campaign touch, click token" '[ "$(q "select count(*) from events where user_id = '"'js-user'"' and click_token = '"'$token'"'")" = 3 ] && [ "$(q "select revenue_minor || currency from events where user_id = '"'js-user'"' and type = '"'track'"'")" = 1999EUR ] && [ "$(q "select medium from events where user_id = '"'js-user'"' and type = '"'page'"'")" = email ]'

# ---- pixel.gif ---------------------------------------------------------------------------------------------
req GET "/v1/pixel.gif?key=$wkey&url=https%3A%2F%2Fshop.example.com%2Fp%3Futm_source%3Dnl%26utm_medium%3Demail&ref=https%3A%2F%2Fmail.example.com%2F&aid=px-visitor&uid=u-7" -A "$UA_CHROME"
check "pixel.gif: 200, a 43-byte GIF, never cached" '[ "$code" = 200 ] && [ "$(hdr Content-Type)" = image/gif ] && [ "$(wc -c <"$tmp/body")" -eq 43 ] && head -c 6 "$tmp/body" | grep -q GIF89a && [ "$(hdr Cache-Control)" = no-store ]'
check "db: pixel.gif stored a page view" '[ "$(q "select count(*) from events where type = '"'page'"' and anonymous_id = '"'px-visitor'"' and user_id = '"'u-7'"' and url = '"'https://shop.example.com/p?utm_source=nl&utm_medium=email'"' and referrer = '"'https://mail.example.com/'"' and is_candidate = 1 and medium = '"'email'"'")" = 1 ]'
req GET "/v1/pixel.gif?key=$wkey" -e 'https://shop.example.com/from-referer'
pvid=$(hdr Set-Cookie | sed -n 's/^ut_vid=\([0-9a-f]*\);.*/\1/p')
check "pixel.gif: url defaults to the Referer, visitor from a new ut_vid cookie" '[ "$code" = 200 ] && [ ${#pvid} -eq 32 ] && [ "$(q "select count(*) from events where anonymous_id = '"'$pvid'"' and url = '"'https://shop.example.com/from-referer'"'")" = 1 ]'
req GET "/v1/pixel.gif?key=utw_unknown"
check "pixel.gif: unknown key is 401 without an image" '[ "$code" = 401 ] && ! hdr Content-Type | grep -q image'
req GET "/v1/pixel.gif"
check "pixel.gif: no key is 401" '[ "$code" = 401 ]'
req GET "/v1/pixel.gif?key=$rkey"
check "pixel.gif: read key is 403" '[ "$code" = 403 ]'
req GET "/v1/pixel.gif?key=$wkey&url=not%20a%20url"
check "pixel.gif: a bad url is 400 naming it" '[ "$code" = 400 ] && js "r.field === \"url\""'
req GET "/v1/pixel.gif?key=$wkey&aid=a%0Ab"
check "pixel.gif: a control byte in aid is 400" '[ "$code" = 400 ] && js "r.field === \"aid\""'

# ---- stop ------------------------------------------------------------------------------------------------------
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: the server drains and exits 0" '[ $rc -eq 0 ] && grep -q "utmost: stopped" "$tmp/serve.err"'

# ---- the rate limit applies to the pixel: a second server with 1 request/s (burst 2) --------------
"$UT" serve --data "$tmp/data2" --listen 127.0.0.1:0 --rate-limit 1 2>"$tmp/serve2.err" &
pid=$!
for _ in $(seq 100); do
    grep -q '^listening on' "$tmp/serve2.err" 2>/dev/null && break
    sleep 0.1
done
B="http://127.0.0.1:$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/serve2.err")"
wkey2=$(sed -n 's/^ *write key: //p' "$tmp/serve2.err")
codes=""
for _ in 1 2 3 4 5; do
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' "$B/v1/pixel.gif?key=$wkey2")"
done
check "pixel.gif: over the per-key rate limit is 429 ($codes)" 'case "$codes" in " 200 200"*429*) true;; *) false;; esac'
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: the second server exits 0 too" '[ $rc -eq 0 ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
