/*
 * utmost.js - the utmost page tracker, served by `utmost serve` as /u.js.
 *
 *   <script async src="https://HOST/u.js" data-key="WRITE_KEY"></script>
 *
 * Optional stub, so calls made before the script has loaded are kept:
 *   window.utmost=window.utmost||function(){(utmost.q=utmost.q||[]).push(arguments)}
 *
 *   utmost('page' [, name, properties])    sent automatically once per load
 *   utmost('track', 'Signed Up', {plan: 'pro'})
 *   utmost('identify', 'user-42', {email: 'a@example.com'})
 *
 * Each call is one Segment API call (/v1/page, /v1/track, /v1/identify) to the
 * server this script came from, sent with navigator.sendBeacon (fetch with
 * keepalive as a fallback) so it survives the page being left. The browser
 * is the anonymous id in the first-party cookie ut_aid (1 year, SameSite=Lax)
 * on the page's site; utm_* parameters, ad click ids and the ut_click token of
 * a tracking link are read from the address and sent in context.campaign.
 * data-auto-page="false" on the tag turns the automatic page view off.
 * No dependencies; nothing here may break the page, so every call is guarded.
 */
(function (w, d) {
    'use strict';
    var s = d.currentScript || d.querySelector('script[data-key][src*="u.js"]');
    if (!s || (w.utmost && w.utmost.loaded)) {
        return;
    }
    var key = s.getAttribute('data-key');
    var base = new URL(s.src, location.href).origin;
    var CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'ttclid', 'msclkid',
        'li_fat_id', 'twclid', 'epik', 'sccid', 'rdt_cid', 'ut_click'];
    var UTM = {utm_source: 'source', utm_medium: 'medium', utm_campaign: 'name',
        utm_content: 'content', utm_term: 'term'};

    function hex(n) {
        var a = new Uint8Array(n), out = '';
        w.crypto.getRandomValues(a);
        for (var i = 0; i < n; i++) {
            out += (a[i] < 16 ? '0' : '') + a[i].toString(16);
        }
        return out;
    }

    function getCookie(name) {
        var m = d.cookie.match(new RegExp('(?:^|; *)' + name + '=([^;]*)'));
        return m ? m[1] : null;
    }

    /* The cookie goes on the widest domain the browser accepts: the site, never a public suffix. */
    function setCookie(name, value) {
        var attrs = '; Max-Age=31536000; Path=/; SameSite=Lax' +
            (location.protocol === 'https:' ? '; Secure' : '');
        var parts = location.hostname.split('.');
        for (var i = parts.length - 2; i >= 0 && !/^[\d.]+$/.test(location.hostname); i--) {
            d.cookie = name + '=' + value + attrs + '; Domain=' + parts.slice(i).join('.');
            if (getCookie(name) === value) {
                return;
            }
        }
        d.cookie = name + '=' + value + attrs;
    }

    function store(k, v) {
        try {
            if (v === undefined) {
                return w.localStorage.getItem(k);
            }
            w.localStorage.setItem(k, v);
        } catch (e) { /* storage off: the id lives for this page only */ }
        return v;
    }

    var aid = getCookie('ut_aid');
    if (!/^[\w-]{1,64}$/.test(aid || '')) {
        aid = hex(16);
    }
    setCookie('ut_aid', aid); /* also renews the year */
    var uid = store('ut_uid');

    var campaign = {}, found = false;
    new URLSearchParams(location.search).forEach(function (v, k) {
        var l = k.toLowerCase(), name = UTM[l] || (CLICK_IDS.indexOf(l) >= 0 ? l : null);
        if (name && v && !(name in campaign)) {
            campaign[name] = v;
            found = true;
        }
    });

    function page() {
        return {url: location.href, path: location.pathname, search: location.search,
            referrer: d.referrer, title: d.title};
    }

    function send(type, body) {
        var now = new Date().toISOString();
        body.writeKey = key;
        body.messageId = 'ut-' + hex(16);
        body.anonymousId = aid;
        if (uid && !body.userId) {
            body.userId = uid;
        }
        body.timestamp = body.sentAt = now;
        body.context = {page: page(), userAgent: navigator.userAgent,
            library: {name: 'utmost.js', version: '1'}, locale: navigator.language};
        if (found) {
            body.context.campaign = campaign;
        }
        var url = base + '/v1/' + type, data = JSON.stringify(body);
        if (navigator.sendBeacon && navigator.sendBeacon(url, data)) {
            return;
        }
        if (w.fetch) {
            w.fetch(url, {method: 'POST', body: data, keepalive: true, credentials: 'omit',
                headers: {'Content-Type': 'text/plain'}}).catch(function () {});
        }
    }

    function assign(a, b) {
        for (var k in b || {}) {
            if (Object.prototype.hasOwnProperty.call(b, k)) {
                a[k] = b[k];
            }
        }
        return a;
    }

    var api = {
        page: function (name, props) {
            if (typeof name === 'object' && name !== null) {
                props = name;
                name = undefined;
            }
            send('page', {name: name, properties: assign(page(), props)});
        },
        track: function (event, props) {
            if (event) {
                send('track', {event: String(event), properties: assign({}, props)});
            }
        },
        identify: function (id, traits) {
            if (typeof id === 'object' && id !== null) {
                traits = id;
                id = null;
            }
            if (id !== null && id !== undefined && id !== '') {
                uid = store('ut_uid', String(id));
            }
            send('identify', {traits: assign({}, traits)});
        }
    };

    function utmost(method) {
        try {
            if (api.hasOwnProperty(method)) {
                api[method].apply(null, [].slice.call(arguments, 1));
            }
        } catch (e) { /* never break the page */ }
    }
    utmost.loaded = true;

    var queue = (w.utmost && w.utmost.q) || [], paged = false;
    w.utmost = utmost;
    for (var i = 0; i < queue.length; i++) {
        paged = paged || queue[i][0] === 'page';
        utmost.apply(null, queue[i]);
    }
    if (!paged && s.getAttribute('data-auto-page') !== 'false') {
        utmost('page');
    }
})(window, document);
