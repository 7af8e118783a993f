#!/usr/bin/env bash
# tests/cli/test_pixel.sh - the JS pixel web/pixel/u.js: under 3 KB gzipped (gzip -9), valid
# JavaScript, and its behaviour in node with a stub browser (document.cookie with a public-suffix
# check, location, sendBeacon, fetch): the queue stub, the automatic page view, track and
# identify payloads, the ut_aid cookie on the site's domain, campaign parameters and click ids.
# Usage: test_pixel.sh UTMOST (the binary is not needed; the argument keeps the CLI test contract)
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
JS="$SRC/web/pixel/u.js"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
nok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $1"; }

size=$(gzip -9 <"$JS" | wc -c)
if [ "$size" -lt 3072 ]; then ok "u.js is $size bytes gzipped (< 3072)"; else nok "u.js is $size bytes gzipped (>= 3072)"; fi

if ! command -v node >/dev/null; then
    nok "node is required for the behaviour tests"
    echo "$pass passed, $fail failed"
    exit 1
fi
if node --check "$JS" 2>/dev/null; then ok "u.js parses"; else nok "u.js parses"; fi

# The behaviour tests print TAP lines themselves; their counts are added to ours.
out=$(node - "$JS" <<'EOF'
const fs = require('fs'), vm = require('vm'), crypto = require('crypto');
const code = fs.readFileSync(process.argv[2], 'utf8');
let n = 0, bad = 0;
function t(name, cond) { n++; if (!cond) bad++; console.log((cond ? 'ok ' : 'not ok ') + name); }

/* A cookie jar that refuses public suffixes and foreign domains, like a browser. */
function jar(host) {
    const cookies = new Map(), suffixes = ['uk', 'co.uk', 'com'];
    return {
        log: [],
        get cookie() { return [...cookies].map(([k, v]) => k + '=' + v.value).join('; '); },
        set cookie(s) {
            this.log.push(s);
            const parts = s.split(';').map(x => x.trim()), [k, v] = parts[0].split('=');
            const dom = parts.find(p => /^domain=/i.test(p));
            if (dom) {
                const d = dom.slice(7).toLowerCase();
                if (suffixes.includes(d) || !(host === d || host.endsWith('.' + d))) return;
            }
            cookies.set(k, {value: v, attrs: parts.slice(1)});
        },
        entry(k) { return cookies.get(k); }
    };
}

function load(opts) {
    const sent = [], fetched = [], store = new Map(opts.storage || []);
    const loc = new URL(opts.url);
    const document = opts.jar || jar(loc.hostname);
    document.currentScript = {src: 'https://t.example.net/u.js', getAttribute: a => (opts.attrs || {})[a] ?? null};
    document.referrer = 'https://www.google.com/';
    document.title = 'Sale';
    document.querySelector = () => null;
    const window = {
        crypto: crypto.webcrypto,
        localStorage: {getItem: k => store.has(k) ? store.get(k) : null, setItem: (k, v) => store.set(k, String(v))},
        fetch: (u, o) => { fetched.push({url: u, opts: o, body: JSON.parse(o.body)}); return Promise.resolve(); },
    };
    if (opts.queue) {
        window.utmost = function () { (window.utmost.q = window.utmost.q || []).push(arguments); };
        opts.queue.forEach(args => window.utmost(...args));
    }
    const navigator = {userAgent: 'TestBrowser/1.0', language: 'en-GB',
        sendBeacon: (u, data) => { if (opts.noBeacon) return false; sent.push({url: u, body: JSON.parse(data), raw: data}); return true; }};
    vm.runInNewContext(code, {window, document, navigator, location: loc, URL, URLSearchParams, Uint8Array, JSON, Date, RegExp, Object, String, Promise});
    return {sent, fetched, document, window, store};
}

const url = 'https://www.shop.example.co.uk/p/1?utm_source=nl&utm_medium=email&utm_campaign=Spring&GCLID=G1&ut_click=abc123&x=1#frag';
const a = load({url, queue: [['identify', 'u-1', {email: 'a@example.com'}], ['track', 'Signed Up', {plan: 'pro'}]]});
t('queued calls replayed in order, then the automatic page view',
  a.sent.map(s => s.url).join(' ') === 'https://t.example.net/v1/identify https://t.example.net/v1/track https://t.example.net/v1/page');
const [idn, trk, pg] = a.sent.map(s => s.body);
const aid = a.document.entry('ut_aid');
t('ut_aid: 128-bit hex from crypto.getRandomValues, on the site domain, 1 year, Lax, Secure',
  aid && /^[0-9a-f]{32}$/.test(aid.value) && aid.attrs.includes('Domain=example.co.uk') &&
  aid.attrs.includes('Max-Age=31536000') && aid.attrs.includes('SameSite=Lax') && aid.attrs.includes('Secure') && aid.attrs.includes('Path=/'));
t('the public suffix was tried first and refused', a.document.log.some(s => /Domain=co\.uk$/.test(s)));
t('every call: writeKey, messageId, anonymousId, timestamp, sentAt', a.sent.every(s =>
  s.body.writeKey === null && /^ut-[0-9a-f]{32}$/.test(s.body.messageId) && s.body.anonymousId === aid.value &&
  !isNaN(Date.parse(s.body.timestamp)) && s.body.sentAt === s.body.timestamp));
t('message ids are unique', new Set(a.sent.map(s => s.body.messageId)).size === 3);
t('context: page url, referrer, title, path; userAgent; library utmost.js', a.sent.every(s =>
  s.body.context.page.url === url && s.body.context.page.referrer === 'https://www.google.com/' &&
  s.body.context.page.title === 'Sale' && s.body.context.page.path === '/p/1' &&
  s.body.context.userAgent === 'TestBrowser/1.0' && s.body.context.library.name === 'utmost.js'));
t('context.campaign: utm values, click ids (case-insensitive), ut_click',
  JSON.stringify(pg.context.campaign) === JSON.stringify({source: 'nl', medium: 'email', name: 'Spring', gclid: 'G1', ut_click: 'abc123'}));
t('identify: userId and traits', idn.userId === 'u-1' && idn.traits.email === 'a@example.com');
t('track: event and properties, userId remembered', trk.event === 'Signed Up' && trk.properties.plan === 'pro' && trk.userId === 'u-1');
t('page: properties url/path/referrer/title', pg.properties.url === url && pg.properties.path === '/p/1' && pg.userId === 'u-1');
t('sendBeacon gets a JSON string (sent as text/plain)', typeof a.sent[0].raw === 'string');

const b = load({url: 'https://www.shop.example.co.uk/next', jar: a.document, storage: a.store, attrs: {'data-key': 'utw_k'}});
t('a second page reuses the anonymous id and the user id', b.sent.length === 1 && b.sent[0].body.anonymousId === aid.value && b.sent[0].body.userId === 'u-1');
t('data-key becomes writeKey; no campaign without parameters', b.sent[0].body.writeKey === 'utw_k' && b.sent[0].body.context.campaign === undefined);
b.window.utmost('page', 'Pricing', {plan: 'pro'});
t('utmost("page", name, props) after load', b.sent.length === 2 && b.sent[1].body.name === 'Pricing' && b.sent[1].body.properties.plan === 'pro');
let threw = false;
try { b.window.utmost('nope'); b.window.utmost('track'); b.window.utmost(); } catch (e) { threw = true; }
t('unknown methods and missing arguments never throw', !threw && b.sent.length === 2);

const c = load({url: 'http://localhost:8000/', noBeacon: true, attrs: {'data-auto-page': 'false'}, queue: [['track', 'X']]});
t('without sendBeacon: fetch keepalive, text/plain, no credentials', c.fetched.length === 1 &&
  c.fetched[0].url === 'https://t.example.net/v1/track' && c.fetched[0].opts.keepalive === true &&
  c.fetched[0].opts.headers['Content-Type'] === 'text/plain' && c.fetched[0].opts.credentials === 'omit');
t('data-auto-page="false": no automatic page view', c.fetched.every(f => !/\/v1\/page$/.test(f.url)));
t('localhost: the cookie has no Domain and no Secure', c.document.entry('ut_aid') && !c.document.entry('ut_aid').attrs.some(x => /^(Domain|Secure)/.test(x)));

const d = load({url: 'https://example.com/', queue: [['page']]});
t('an explicit queued page replaces the automatic one', d.sent.length === 1);
console.log('#counts ' + n + ' ' + bad);
EOF
)
echo "$out" | grep -v '^#counts' | awk -v base=$((pass + fail)) '
    /^ok / { print "ok " (base + NR) " - " substr($0, 4); next }
    /^not ok / { print "not ok " (base + NR) " - " substr($0, 8); next }
    { print }'

counts=$(echo "$out" | sed -n 's/^#counts //p')
if [ -z "$counts" ]; then
    nok "node behaviour tests ran"
else
    set -- $counts
    pass=$((pass + $1 - $2))
    fail=$((fail + $2))
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
