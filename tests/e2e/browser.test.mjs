// A real browser journey: headless Chromium (Debian's chromium, driven by
// playwright-core) follows a tracking link to a local landing page carrying
// /u.js, identifies and fires a conversion. The test then checks what utmost
// made of it: the stored click and touches, their channel, the person stitched
// across the redirect and the pixel, and `utmost attribute` on the collected data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer, cli, sql, sleep, HOST } from './lib/server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A landing page on its own port (another "site" than the tracking host). */
function startLanding(trackerBase, writeKey) {
    const page = `<!doctype html><html><head><title>Spring sale</title>
<script>window.utmost=window.utmost||function(){(utmost.q=utmost.q||[]).push(arguments)}</script>
<script async src="${trackerBase}/u.js" data-key="${writeKey}"></script></head>
<body><h1>Spring sale</h1>
<button id="buy" onclick="utmost('identify','user-42',{email:'Buyer@Example.com'});
utmost('track','Order Completed',{revenue:49.9,currency:'USD',order_id:'o-1'});
document.getElementById('done').textContent='thanks'">Buy</button><p id="done"></p></body></html>`;
    const server = http.createServer((req, res) => {
        if (req.url.startsWith('/landing')) {
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
            res.end(page);
        } else {
            res.writeHead(404);
            res.end();
        }
    });
    return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)));
}

/** Poll fn until it returns a truthy value (bounded: 10 s). */
async function until(what, fn) {
    for (let i = 0; i < 100; i++) {
        const v = await fn();
        if (v) {
            return v;
        }
        await sleep(100);
    }
    assert.fail(`timed out waiting for ${what}`);
}

test('a browser follows a link, lands, identifies and converts', { skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` }, async () => {
    const srv = await startServer();
    const landing = await startLanding(srv.base, srv.writeKey);
    const landingBase = `http://${HOST}:${landing.address().port}`;
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
        await cli('link', 'create', '--data', srv.dir, '--workspace', 'default', '--slug', 'spring',
            '--to', `${landingBase}/landing`, '--utm-source', 'newsletter', '--utm-medium', 'email',
            '--utm-campaign', 'spring-sale', '--partner', 'acme');
        // HeadlessChrome's own user agent counts as a bot (scrapers, prerenderers): browse as
        // the desktop Chrome a person would use
        const context = await browser.newContext({
            userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
                'Chrome/126.0.0.0 Safari/537.36',
        });
        const page = await context.newPage();
        await page.goto(`${srv.base}/l/spring?fbclid=FB123`);
        const landed = new URL(page.url());
        assert.equal(landed.origin + landed.pathname, `${landingBase}/landing`);
        assert.equal(landed.searchParams.get('utm_source'), 'newsletter');
        assert.equal(landed.searchParams.get('utm_medium'), 'email');
        assert.equal(landed.searchParams.get('fbclid'), 'FB123', 'click ids pass through');
        const token = landed.searchParams.get('ut_click');
        assert.match(String(token), /^[0-9a-f]{16,}$/, 'the redirect appends a ut_click token');

        // the automatic page view, then identify + conversion on a click
        await until('the page view', async () => (await sql(srv.dir,
            "select count(*) as n from events where type = 'page'"))[0].n === 1);
        await page.click('#buy');
        await page.waitForSelector('#done:has-text("thanks")');
        await until('the conversion', async () => (await sql(srv.dir,
            "select count(*) as n from events where type = 'track'"))[0].n === 1);
        await until('the identify', async () => (await sql(srv.dir,
            "select count(*) as n from events where type = 'identify'"))[0].n === 1);

        const clicks = await sql(srv.dir, 'select token, is_bot, visitor_id from clicks');
        assert.equal(clicks.length, 1);
        assert.equal(clicks[0].token, token);
        assert.equal(clicks[0].is_bot, 0);
        const touches = await sql(srv.dir,
            "select type, channel, source, medium, campaign, click_token from events where type in ('click', 'page') order by id");
        assert.deepEqual(touches.map((t) => [t.type, t.channel, t.source, t.medium, t.campaign]), [
            ['click', 'Email', 'newsletter', 'email', 'spring-sale'],
            ['page', 'Email', 'newsletter', 'email', 'spring-sale'],
        ]);
        assert.equal(touches[1].click_token, token, 'the pixel reports the click token');
        const [conv] = await sql(srv.dir,
            "select name, user_id, anonymous_id, revenue_minor, currency from events where type = 'track'");
        assert.deepEqual([conv.name, conv.user_id, conv.revenue_minor, conv.currency],
            ['Order Completed', 'user-42', 4990, 'USD']);

        await srv.stop();

        // one person: the redirect's visitor, the page's anonymous id, the user and the email
        const people = JSON.parse(await cli('journeys', '--data', srv.dir, '--workspace', 'default',
            '--person', 'user-42', '--format', 'json'));
        const person = (people.persons ?? people)[0];
        const ids = JSON.stringify(person);
        for (const id of [`user:user-42`, `email:buyer@example.com`, `click:${token}`,
            `anon:${clicks[0].visitor_id}`, `anon:${conv.anonymous_id}`]) {
            assert.ok(ids.includes(id), `person joins ${id}: ${ids}`);
        }
        assert.ok(ids.includes('"Email"'), `the person's touches are Email: ${ids}`);

        const csv = await cli('attribute', '--data', srv.dir, '--workspace', 'default',
            '--model', 'first,last,linear', '--format', 'csv');
        const rows = Object.fromEntries(csv.split('\n').slice(1).map((l) => {
            const [m, ch, c, v] = l.split(',');
            return [`${m}|${ch}`, [Number(c), Number(v)]];
        }));
        for (const m of ['first', 'last', 'linear']) {
            assert.deepEqual(rows[`${m}|Email`], [1, 49.9], `${m}: ${csv}`);
        }
        const byLink = await cli('attribute', '--data', srv.dir, '--workspace', 'default',
            '--model', 'first', '--by', 'partner', '--format', 'csv');
        assert.match(byLink, /^first,acme,1,49\.9$/m, byLink);
    } finally {
        await browser.close();
        landing.close();
        await srv.close();
    }
});
