// tests/e2e/segment.test.mjs - the Segment HTTP API as real clients use it: the official
// @segment/analytics-node SDK and plain fetch calls, each checked against what SQLite stored.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import {
    startServer, sql, q, http, eventCount, eventRow, assertHealthy,
} from './lib/server.mjs';

// Loopback latency plus scheduling: stored times may differ from the client's by this much.
const SKEW_S = 2;

let srv;
let wsId;

before(async () => {
    srv = await startServer();
    [{ id: wsId }] = await sql(srv.dir, `SELECT id FROM workspaces WHERE name = 'default'`);
});

after(async () => {
    await srv?.close();
});

const uid = (p) => `${p}-${randomUUID()}`;

/** The stored body without the members the server appends (sentAt from the batch, receivedAt). */
function sentPart(body) {
    const { sentAt, receivedAt, ...rest } = body;
    return rest;
}

/**
 * Assert the stored row is exactly the event the client sent in a batch with batchSentAt:
 * identity columns, the whole body (same members, values and order) and the corrected time.
 */
function assertStoredExactly(row, sent, batchSentAt, what) {
    assert.ok(row, `${what}: messageId ${sent.messageId} was not stored`);
    assert.equal(row.workspace_id, wsId, `${what}: workspace`);
    assert.equal(row.message_id, sent.messageId, `${what}: message_id`);
    assert.equal(row.type, sent.type, `${what}: type`);
    assert.equal(row.user_id, sent.userId ?? null, `${what}: user_id`);
    assert.equal(row.anonymous_id, sent.anonymousId ?? null, `${what}: anonymous_id`);

    const stored = sentPart(row.json);
    assert.deepStrictEqual(stored, sent, `${what}: stored body differs from the event sent`);
    assert.equal(JSON.stringify(stored), JSON.stringify(sent),
        `${what}: stored body has the same members but not in the order sent`);
    if (sent.sentAt === undefined) {
        assert.equal(row.json.sentAt, batchSentAt, `${what}: body.sentAt must be the batch's sentAt`);
    }
    assert.match(row.json.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${what}: body.receivedAt`);
    assert.ok(Math.abs(Date.parse(row.json.receivedAt) / 1000 - row.received_at) < 0.002,
        `${what}: body.receivedAt ${row.json.receivedAt} vs received_at column ${row.received_at}`);

    // Segment's clock correction: ts = receivedAt - (sentAt - timestamp).
    const t = Date.parse(sent.timestamp) / 1000;
    const sentAt = Date.parse(sent.sentAt ?? batchSentAt) / 1000;
    const expect = row.received_at - (sentAt - t);
    assert.ok(Math.abs(row.ts - expect) < 0.002,
        `${what}: ts ${row.ts}, expected received_at - (sentAt - timestamp) = ${expect}`);
    assert.ok(Math.abs(row.ts - t) < SKEW_S,
        `${what}: ts ${row.ts} is ${row.ts - t} s away from the client's timestamp ${sent.timestamp}`);
}

test('analytics-node: track, identify, page, group, alias are stored exactly as sent', async () => {
    const requests = [];
    const errors = [];
    const analytics = new Analytics({
        writeKey: srv.writeKey,
        host: srv.base, // path defaults to /v1/batch
        flushAt: 3, // 5 calls: one full batch of 3, then 2 sent by closeAndFlush
        flushInterval: 200,
        maxRetries: 1,
        httpRequestTimeout: 5000,
    });
    analytics.on('http_request', (r) => requests.push(r));
    analytics.on('error', (e) => errors.push(e));
    const before = await eventCount(srv.dir);

    const userId = uid('user');
    const anonymousId = uid('anon');
    const callbacks = [];
    const cb = (name) => {
        let resolve;
        callbacks.push(new Promise((r) => { resolve = r; }));
        return (err, ctx) => resolve({ name, err, ctx });
    };
    const properties = {
        revenue: 42.5,
        currency: 'eur',
        sku: 'SKU-1',
        price: 0.30000000000000004, // must survive as the same double
        big: 12345678901234567000,
        neg: -0.000001,
        ok: false,
        none: null,
        text: 'he said "hi"\n\ttab \\ slash / café 🎉 日本',
        nested: { a: [1, 2, { b: null, c: [] }], d: {} },
    };
    analytics.track({ userId, anonymousId, event: 'Order Completed', properties }, cb('track'));
    analytics.identify({
        userId, anonymousId,
        traits: { email: 'Ada.Lovelace@Example.com', name: 'Ada', plan: 'pro', logins: 3 },
    }, cb('identify'));
    analytics.page({
        anonymousId,
        category: 'Docs',
        name: 'Pricing',
        properties: { title: 'Pricing', path: '/pricing' },
        context: {
            ip: '203.0.113.7',
            userAgent: 'Mozilla/5.0 (X11; Linux x86_64) e2e',
            page: {
                url: 'https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale',
                referrer: 'https://www.google.com/',
                path: '/pricing',
            },
        },
    }, cb('page'));
    analytics.group({ userId, groupId: 'acme-inc', traits: { name: 'Acme Inc', employees: 120 } }, cb('group'));
    analytics.alias({ userId, previousId: anonymousId }, cb('alias'));
    await analytics.closeAndFlush({ timeout: 10_000 });
    const results = await Promise.all(callbacks);

    assert.deepEqual(errors, [], `SDK reported delivery errors: ${errors.map((e) => e?.reason ?? e).join('; ')}`);
    for (const r of results) {
        assert.equal(r.err, undefined, `${r.name}: callback error ${r.err}`);
        assert.equal(r.ctx.failedDelivery(), undefined,
            `${r.name}: failed delivery: ${r.ctx.failedDelivery()?.reason}`);
    }

    // What the SDK actually put on the wire (requests in order, events in order).
    const sent = [];
    for (const r of requests) {
        assert.equal(r.url, `${srv.base}/v1/batch`, 'SDK posts to /v1/batch of the configured host');
        const body = JSON.parse(r.body);
        assert.equal(body.writeKey, srv.writeKey);
        for (const ev of body.batch) sent.push({ ev, sentAt: body.sentAt });
    }
    assert.deepEqual(sent.map((s) => s.ev.type), ['track', 'identify', 'page', 'group', 'alias'],
        'the SDK sent each call once (no retries needed)');

    assert.equal(await eventCount(srv.dir), before + 5, 'exactly the 5 events sent were added');
    const rows = {};
    for (const { ev, sentAt } of sent) {
        const row = await eventRow(srv.dir, ev.messageId);
        assertStoredExactly(row, ev, sentAt, ev.type);
        rows[ev.type] = row;
    }

    // Columns extracted from the body.
    const { track, identify, page, group, alias } = rows;
    assert.equal(track.name, 'Order Completed');
    assert.deepStrictEqual(track.json.properties, properties, 'track properties');
    assert.equal(track.has_revenue, 1);
    assert.equal(track.revenue_minor, 4250, 'revenue 42.5 EUR in minor units');
    assert.equal(track.currency, 'EUR');
    assert.equal(track.ip, '127.0.0.1', 'no context.ip: the connection address');
    assert.equal(track.user_agent, 'analytics-node-next/latest', 'no context.userAgent: the User-Agent header');

    assert.equal(identify.email, 'Ada.Lovelace@Example.com', 'identify: email from traits.email');
    assert.deepStrictEqual(identify.json.traits, { email: 'Ada.Lovelace@Example.com', name: 'Ada', plan: 'pro', logins: 3 });

    assert.equal(page.name, 'Pricing');
    assert.equal(page.ip, '203.0.113.7', 'page: context.ip wins over the connection address');
    assert.equal(page.user_agent, 'Mozilla/5.0 (X11; Linux x86_64) e2e', 'page: context.userAgent wins over the header');
    assert.equal(page.url, 'https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale');
    assert.equal(page.referrer, 'https://www.google.com/');
    assert.deepEqual(
        { source: page.source, medium: page.medium, campaign: page.campaign, channel: page.channel },
        { source: 'google', medium: 'cpc', campaign: 'spring_sale', channel: 'Paid Search' },
        'page: classification from the URL utm parameters');

    assert.equal(group.group_id, 'acme-inc');
    assert.deepStrictEqual(group.json.traits, { name: 'Acme Inc', employees: 120 });
    assert.equal(alias.previous_id, anonymousId);
    assert.equal(alias.user_id, userId);

    // Identity evidence recorded with the events that proved it.
    const edges = await sql(srv.dir,
        `SELECT a, b, kind, event_id FROM identity_edges WHERE event_id IN (${identify.id}, ${alias.id}) ORDER BY id`);
    const has = (a, b, kind, ev) => edges.some((e) => e.a === a && e.b === b && e.kind === kind && e.event_id === ev);
    assert.ok(has(`anon:${anonymousId}`, `user:${userId}`, 'identify', identify.id),
        `identify joins anon and user; edges: ${JSON.stringify(edges)}`);
    assert.ok(has(`user:${userId}`, 'email:ada.lovelace@example.com', 'email', identify.id),
        `identify joins user and (lowercased) email; edges: ${JSON.stringify(edges)}`);
    assert.ok(has(`anon:${anonymousId}`, `user:${userId}`, 'alias', alias.id),
        `alias joins previousId and userId; edges: ${JSON.stringify(edges)}`);
});

test('a retried batch with the same messageIds stores nothing new (first write wins)', async () => {
    const errors = [];
    const requests = [];
    const analytics = new Analytics({ writeKey: srv.writeKey, host: srv.base, flushAt: 10, maxRetries: 0 });
    analytics.on('http_request', (r) => requests.push(r));
    analytics.on('error', (e) => errors.push(e));
    const userId = uid('retry');
    for (let i = 0; i < 10; i++) {
        analytics.track({ userId, event: 'Retry Test', properties: { i } });
    }
    await analytics.closeAndFlush({ timeout: 10_000 });
    assert.deepEqual(errors, []);
    assert.equal(requests.length, 1, 'one batch of 10');
    const ids = JSON.parse(requests[0].body).batch.map((e) => e.messageId);
    const count = await eventCount(srv.dir);
    const snapshot = await sql(srv.dir, `SELECT * FROM events WHERE user_id = ${q(userId)} ORDER BY id`);
    assert.equal(snapshot.length, 10);

    // The exact bytes again, as the SDK sends them on a retry (writeKey in the body).
    for (let attempt = 0; attempt < 3; attempt++) {
        const r = await http(srv, '/v1/batch', { body: requests[0].body });
        assert.equal(r.status, 200, `retry ${attempt}: ${r.text}`);
        assert.deepEqual(r.json, { success: true });
    }
    // Same ids, different content (a buggy client): still a no-op, the first body stays.
    const changed = JSON.parse(requests[0].body);
    changed.sentAt = new Date().toISOString();
    for (const e of changed.batch) e.properties.i += 1000;
    const r = await http(srv, '/v1/batch', { body: changed, key: srv.writeKey });
    assert.equal(r.status, 200, r.text);

    assert.equal(await eventCount(srv.dir), count, 'retries added rows');
    const after = await sql(srv.dir, `SELECT * FROM events WHERE user_id = ${q(userId)} ORDER BY id`);
    assert.deepStrictEqual(after, snapshot, 'retries changed stored rows');
    assert.deepEqual(after.map((x) => x.message_id), ids);
});

test('raw HTTP: every /v1/<type> with Basic auth, and writeKey in the body', async () => {
    const userId = uid('raw');
    const calls = [
        ['track', { userId, event: 'Signed Up', properties: { plan: 'free' } }],
        ['identify', { userId, traits: { email: 'raw@example.com' } }],
        ['page', { userId, name: 'Home', properties: { url: 'https://example.com/' } }],
        ['screen', { userId, name: 'Settings', properties: { tab: 2 } }],
        ['group', { userId, groupId: 'g-1', traits: {} }],
        ['alias', { userId, previousId: 'old-id-1' }],
    ];
    const before = await eventCount(srv.dir);
    for (const [type, payload] of calls) {
        for (const via of ['basic', 'body']) {
            const messageId = uid(`${type}-${via}`);
            const timestamp = new Date(Date.now() - 5000).toISOString();
            const body = { ...payload, messageId, timestamp };
            const opts = via === 'basic' ? { body, key: srv.writeKey } : { body: { ...body, writeKey: srv.writeKey } };
            const r = await http(srv, `/v1/${type}`, opts);
            assert.equal(r.status, 200, `POST /v1/${type} (${via}): ${r.text}`);
            assert.deepEqual(r.json, { success: true });
            assert.equal(r.headers.get('content-type'), 'application/json');

            const row = await eventRow(srv.dir, messageId);
            assert.ok(row, `POST /v1/${type} (${via}) answered 200 but ${messageId} is not stored`);
            assert.equal(row.type, type);
            assert.equal(row.workspace_id, wsId);
            assert.equal(row.user_id, userId);
            assert.equal(row.json.writeKey, undefined, 'the write key must not be stored in the body');
            const { receivedAt, type: appendedType, ...rest } = row.json;
            assert.equal(appendedType, type, 'type appended from the path');
            assert.deepStrictEqual(rest, body, `POST /v1/${type} (${via}): stored body`);
            // No sentAt: the client's timestamp is taken as is.
            assert.ok(Math.abs(row.ts - Date.parse(timestamp) / 1000) < 0.002, `ts ${row.ts} vs ${timestamp}`);
        }
    }
    assert.equal(await eventCount(srv.dir), before + calls.length * 2);
    await assertHealthy(srv);
});

test('clock skew: sentAt 10 minutes ahead shifts the stored time back by 10 minutes', async () => {
    const skewMs = 10 * 60 * 1000;
    const userId = uid('skew');
    const clientNow = Date.now() + skewMs; // the client's clock runs 10 min fast
    const batch = {
        writeKey: srv.writeKey,
        sentAt: new Date(clientNow).toISOString(),
        batch: [
            // happened 60 s ago by the client's clock
            { type: 'track', userId, event: 'Skewed', messageId: uid('skew-ts'), timestamp: new Date(clientNow - 60_000).toISOString() },
            // originalTimestamp is preferred over timestamp for the correction
            { type: 'track', userId, event: 'Skewed', messageId: uid('skew-ots'),
              originalTimestamp: new Date(clientNow - 30_000).toISOString(), timestamp: new Date(clientNow - 999_000).toISOString() },
            // an event's own sentAt wins over the batch's
            { type: 'track', userId, event: 'Skewed', messageId: uid('skew-own'),
              sentAt: new Date(clientNow + skewMs).toISOString(), timestamp: new Date(clientNow + skewMs - 10_000).toISOString() },
        ],
    };
    const r = await http(srv, '/v1/batch', { body: batch });
    assert.equal(r.status, 200, r.text);
    const now = Date.now() / 1000;

    const expectations = [
        [batch.batch[0], now - 60, 'timestamp - 10 min'],
        [batch.batch[1], now - 30, 'originalTimestamp - 10 min'],
        [batch.batch[2], now - 10, "the event's own sentAt (20 min ahead)"],
    ];
    for (const [ev, expectTs, what] of expectations) {
        const row = await eventRow(srv.dir, ev.messageId);
        assert.ok(row, `${ev.messageId} not stored`);
        assert.ok(Math.abs(row.ts - expectTs) < SKEW_S,
            `${what}: stored ts ${new Date(row.ts * 1000).toISOString()}, expected about ${new Date(expectTs * 1000).toISOString()}`);
        assert.equal(row.json.timestamp, ev.timestamp, 'the client timestamp is stored as sent in the body');
    }
    // Single call with sentAt inside the event.
    const messageId = uid('skew-single');
    const r2 = await http(srv, '/v1/track', {
        key: srv.writeKey,
        body: { userId, event: 'Skewed', messageId, sentAt: new Date(clientNow).toISOString(), timestamp: new Date(clientNow - 5000).toISOString() },
    });
    assert.equal(r2.status, 200, r2.text);
    const row = await eventRow(srv.dir, messageId);
    assert.ok(Math.abs(row.ts - (Date.now() / 1000 - 5)) < SKEW_S, `single call: ts ${row.ts}`);
});

test('context: campaign, page URL utm parameters, ip and userAgent, batch context merged', async () => {
    const anonymousId = uid('ctx');
    const ids = { utm: uid('utm'), campaign: uid('campaign'), merged: uid('merged'), direct: uid('direct') };
    const batch = {
        writeKey: srv.writeKey,
        context: { ip: '198.51.100.9', userAgent: 'BatchAgent/1.0', locale: 'fr-FR' },
        batch: [
            { type: 'page', anonymousId, messageId: ids.utm, name: 'Landing',
              context: { page: { url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=brand', referrer: '' } } },
            { type: 'page', anonymousId, messageId: ids.campaign, name: 'Newsletter',
              properties: { url: 'https://shop.example.com/news' },
              context: { ip: '192.0.2.44', userAgent: 'EventAgent/2.0',
                         campaign: { source: 'newsletter', medium: 'email', name: 'may_digest', content: 'hero', term: 'shoes' } } },
            { type: 'track', anonymousId, messageId: ids.merged, event: 'Clicked' },
            { type: 'page', anonymousId, messageId: ids.direct, name: 'Direct',
              context: { page: { url: 'https://shop.example.com/about' } } },
        ],
    };
    const r = await http(srv, '/v1/batch', { body: batch, headers: { 'User-Agent': 'HeaderAgent/3.0' } });
    assert.equal(r.status, 200, r.text);

    const utm = await eventRow(srv.dir, ids.utm);
    assert.deepEqual(
        pick(utm, ['url', 'source', 'medium', 'campaign', 'channel', 'ip', 'user_agent']),
        { url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=brand',
          source: 'google', medium: 'cpc', campaign: 'brand', channel: 'Paid Search',
          ip: '198.51.100.9', user_agent: 'BatchAgent/1.0' },
        'page with utm_source=google&utm_medium=cpc (batch context ip/userAgent)');
    assert.equal(utm.json.context.locale, 'fr-FR', 'batch context merged into the stored body');

    const camp = await eventRow(srv.dir, ids.campaign);
    assert.deepEqual(
        pick(camp, ['url', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term',
            'source', 'medium', 'campaign', 'channel', 'ip', 'user_agent']),
        { url: 'https://shop.example.com/news', utm_source: 'newsletter', utm_medium: 'email',
          utm_campaign: 'may_digest', utm_content: 'hero', utm_term: 'shoes',
          source: 'newsletter', medium: 'email', campaign: 'may_digest', channel: 'Email',
          ip: '192.0.2.44', user_agent: 'EventAgent/2.0' },
        "context.campaign and the event's own ip/userAgent win");
    assert.deepStrictEqual(camp.json.context,
        { ip: '192.0.2.44', userAgent: 'EventAgent/2.0', locale: 'fr-FR',
          campaign: { source: 'newsletter', medium: 'email', name: 'may_digest', content: 'hero', term: 'shoes' } },
        'merged context (event values win, batch values fill in)');

    const merged = await eventRow(srv.dir, ids.merged);
    assert.deepEqual(pick(merged, ['ip', 'user_agent', 'channel']),
        { ip: '198.51.100.9', user_agent: 'BatchAgent/1.0', channel: null }, 'track: no channel; batch context');

    const direct = await eventRow(srv.dir, ids.direct);
    assert.equal(direct.channel, 'Direct', 'page without campaign or referrer');
});

function pick(o, keys) {
    return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
