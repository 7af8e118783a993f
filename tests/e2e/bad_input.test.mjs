// tests/e2e/bad_input.test.mjs - hostile and broken clients: every bad request gets a precise
// 4xx (or the connection is closed), the server keeps answering /healthz, and the events table
// is exactly as it was before.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import {
    startServer, sql, q, http, cli, eventCount, eventRow, assertHealthy, rawRequest, rawStatus,
    basicAuth, pollUntil, HOST,
} from './lib/server.mjs';

const IDLE_TIMEOUT_S = 2; // --timeout of the server the slow-client tests start

let srv;

before(async () => {
    srv = await startServer();
    // One good event so "unchanged" compares a non-empty table.
    const r = await http(srv, '/v1/track', { key: srv.writeKey, body: { userId: 'seed', event: 'Seeded', messageId: 'seed-1' } });
    assert.equal(r.status, 200, r.text);
});

after(async () => {
    await srv?.close();
});

/** Everything about the events (and identity) tables a bad request could change. */
async function snapshot() {
    const [e] = await sql(srv.dir,
        'SELECT count(*) AS n, coalesce(max(id), 0) AS max_id, coalesce(sum(length(body)), 0) AS bytes, ' +
        'coalesce(sum(ts), 0) AS ts_sum FROM events');
    const [g] = await sql(srv.dir, 'SELECT count(*) AS edges FROM identity_edges');
    return { ...e, ...g };
}

/**
 * One test per bad request: send() resolves { status, json, text } (fetch) or a rawRequest
 * result; expect.status is a number, an array of allowed numbers, or 'closed-or-4xx'.
 */
function badRequest(name, send, expect) {
    test(name, async () => {
        const beforeSnap = await snapshot();
        let r;
        for (let attempt = 0; ; attempt++) {
            try {
                r = await send();
                break;
            } catch (e) {
                if (attempt >= (expect.networkRetries ?? 0)) throw e;
            }
        }
        checkAnswer(name, r, expect);
        await assertHealthy(srv, name);
        assert.deepEqual(await snapshot(), beforeSnap, `${name}: the events table changed`);
    });
}

function checkAnswer(name, r, expect) {
    if ('data' in r) { // raw socket
        const status = rawStatus(r.data);
        if (expect.status === 'closed-or-4xx') {
            assert.ok((status === null && r.closed) || (status >= 400 && status < 500),
                `${name}: expected a 4xx or a closed connection, got status ${status}, closed ${r.closed}, error ${r.error}, ` +
                `response: ${JSON.stringify(r.data.slice(0, 300))}`);
            return;
        }
        const allowed = [expect.status].flat();
        assert.ok(allowed.includes(status),
            `${name}: expected status ${allowed.join(' or ')}, got ${status} (closed ${r.closed}, error ${r.error}); ` +
            `response: ${JSON.stringify(r.data.slice(0, 300))}`);
        if (expect.json !== false) {
            const body = r.data.slice(r.data.indexOf('\r\n\r\n') + 4);
            assert.equal(JSON.parse(body).success, false, `${name}: error body ${body}`);
        }
        return;
    }
    const allowed = [expect.status].flat();
    assert.ok(allowed.includes(r.status), `${name}: expected status ${allowed.join(' or ')}, got ${r.status} ${r.text}`);
    assert.ok(r.json && r.json.success === false && typeof r.json.error === 'string' && r.json.error.length > 0,
        `${name}: expected {"success":false,"error":"..."}, got ${r.text}`);
    if (expect.field !== undefined) {
        assert.equal(r.json.field, expect.field, `${name}: error should name field ${expect.field}; got ${r.text}`);
    }
    if (expect.error !== undefined) {
        assert.match(r.json.error, expect.error, `${name}: error message`);
    }
}

const track = (body, opts = {}) => () => http(srv, '/v1/track', { key: srv.writeKey, body, ...opts });
const batch = (body, opts = {}) => () => http(srv, '/v1/batch', { key: srv.writeKey, body, ...opts });
const good = (extra = {}) => ({ userId: 'u-bad', event: 'Bad Input', messageId: `bad-${randomUUID()}`, ...extra });

// ---- malformed JSON --------------------------------------------------------------------------

for (const [label, text] of [
    ['truncated object', '{"userId":"u","event":"x"'],
    ['not JSON at all', 'hello world'],
    ['empty body', ''],
    ['trailing comma', '{"userId":"u","event":"x",}'],
    ['garbage after the value', '{"userId":"u","event":"x"} {"a":1}'],
    ['single quotes', "{'userId':'u','event':'x'}"],
    ['NaN literal', '{"userId":"u","event":"x","properties":{"v":NaN}}'],
    ['leading plus', '{"userId":"u","event":"x","properties":{"v":+1}}'],
    ['raw control character in a string', '{"userId":"u","event":"a\u0001b"}'],
    ['\\u0000 escape', '{"userId":"u\\u0000v","event":"x"}'],
    ['unpaired surrogate escape', '{"userId":"u","event":"\\ud800"}'],
    ['duplicate key', '{"userId":"a","userId":"b","event":"x"}'],
]) {
    badRequest(`malformed JSON: ${label} -> 400`, track(text), { status: 400 });
}
badRequest('body is a JSON array -> 400', track('[{"userId":"u","event":"x"}]'), { status: 400 });
badRequest('body is a JSON string -> 400', track('"track"'), { status: 400 });
badRequest('batch body truncated mid-array -> 400', batch('{"batch":[{"type":"track","userId":"u","event":"x"},'), { status: 400 });

// ---- wrong types ------------------------------------------------------------------------------

for (const [label, body, field] of [
    ['event: 5', good({ event: 5 }), 'event'],
    ['event: true', good({ event: true }), 'event'],
    ['properties: "x"', good({ properties: 'x' }), 'properties'],
    ['properties: []', good({ properties: [] }), 'properties'],
    ['userId: {}', good({ userId: {} }), 'userId'],
    ['userId: []', good({ userId: ['a'] }), 'userId'],
    ['anonymousId: true', good({ userId: undefined, anonymousId: true }), 'anonymousId'],
    ['context: "x"', good({ context: 'x' }), 'context'],
    ['timestamp: "yesterday"', good({ timestamp: 'yesterday' }), 'timestamp'],
    ['timestamp: 12', good({ timestamp: 12 }), 'timestamp'],
    ['messageId: 7', good({ messageId: 7 }), 'messageId'],
    ['messageId: ""', good({ messageId: '' }), 'messageId'],
    ['type disagrees with the path', good({ type: 'page' }), 'type'],
]) {
    badRequest(`wrong type: ${label} -> 400 naming ${field}`, track(body), { status: 400, field });
}
badRequest('batch: "batch" is a string -> 400', batch({ batch: 'x' }), { status: 400, field: 'batch' });
badRequest('batch: "batch" missing -> 400', batch({ events: [] }), { status: 400, field: 'batch' });
badRequest('batch: empty array -> 400', batch({ batch: [] }), { status: 400, field: 'batch' });
badRequest('batch: element is a number -> 400', batch({ batch: [1] }), { status: 400, field: 'batch[0]' });
badRequest('batch: element without type -> 400', batch({ batch: [{ userId: 'u', event: 'x' }] }), { status: 400, field: 'batch[0].type' });
badRequest('batch: unknown type -> 400', batch({ batch: [{ type: 'purchase', userId: 'u', event: 'x' }] }), { status: 400, field: 'batch[0].type' });
badRequest('batch: one bad element rejects the whole batch (nothing stored) -> 400',
    batch({ batch: [
        { type: 'track', ...good() },
        { type: 'track', ...good({ properties: 'x' }) },
        { type: 'track', ...good() },
    ] }),
    { status: 400, field: 'batch[1].properties' });

// ---- missing fields ---------------------------------------------------------------------------

badRequest('track without event -> 400', track(good({ event: undefined })), { status: 400, field: 'event' });
badRequest('track with empty event -> 400', track(good({ event: '' })), { status: 400, field: 'event' });
badRequest('no userId and no anonymousId -> 400', track(good({ userId: undefined })), { status: 400, field: 'userId' });
badRequest('userId null and no anonymousId -> 400', track(good({ userId: null })), { status: 400, field: 'userId' });
badRequest('alias without previousId -> 400',
    () => http(srv, '/v1/alias', { key: srv.writeKey, body: { userId: 'u' } }), { status: 400, field: 'previousId' });
badRequest('group without groupId -> 400',
    () => http(srv, '/v1/group', { key: srv.writeKey, body: { userId: 'u' } }), { status: 400, field: 'groupId' });
badRequest('batch element without event -> 400',
    batch({ batch: [{ type: 'track', ...good() }, { type: 'track', userId: 'u' }] }), { status: 400, field: 'batch[1].event' });

// ---- sizes ------------------------------------------------------------------------------------

function bigBatch(bytes) {
    const events = [];
    let size = 20;
    for (let i = 0; size < bytes && i < 100_000; i++) {
        const ev = { type: 'track', userId: 'u-big', event: 'Big', messageId: `big-${randomUUID()}`, properties: { pad: 'x'.repeat(900) } };
        events.push(ev);
        size += JSON.stringify(ev).length + 1;
    }
    const body = JSON.stringify({ batch: events });
    assert.ok(body.length > bytes, `generated ${body.length} bytes`);
    return body;
}
const batch600k = bigBatch(600_000);
const batch8m = JSON.stringify({ batch: [{ type: 'track', userId: 'u-big', event: 'Big', properties: { pad: 'x'.repeat(8_000_000) } }] });
const event40k = JSON.stringify(good({ properties: { pad: 'y'.repeat(40_000) } }));

/** A request with a chunked body and no Content-Length, in chunks of at most 8 KB. */
function chunkedRequest(path, body, key = srv.writeKey) {
    const head = `POST ${path} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\n` +
        `Authorization: ${basicAuth(key)}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const parts = [head];
    const buf = Buffer.from(body);
    for (let i = 0; i < buf.length; i += 8192) {
        const c = buf.subarray(i, i + 8192);
        parts.push(`${c.length.toString(16)}\r\n`, c, '\r\n');
    }
    parts.push('0\r\n\r\n');
    return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

// A network error instead of the 413 is the lost-response problem the next test pins down;
// here up to 3 attempts are made so that this test checks the status alone.
badRequest('batch over 500 KB (Content-Length) -> 413', batch(batch600k), { status: 413, networkRetries: 2 });
test('8 MB batch on a reused keep-alive connection: the client reads the 413 (10 tries)', async () => {
    // As SDKs send: over a keep-alive connection that has just carried another request. The
    // server answers 413 from Content-Length and closes without reading the rest of the body
    // (no lingering close, RFC 9112 section 9.6): the client's body write then fails with
    // EPIPE/ECONNRESET and the client never sees the 413.
    const beforeSnap = await snapshot();
    const tally = {};
    for (let i = 0; i < 10; i++) {
        const warm = await http(srv, '/v1/batch', { key: srv.writeKey, body: { batch: [{ type: 'track', userId: 'u' }] } });
        assert.equal(warm.status, 400, warm.text);
        let k;
        try {
            const r = await http(srv, '/v1/batch', { key: srv.writeKey, body: batch8m });
            k = String(r.status);
        } catch (e) {
            k = `network error ${e.cause?.code ?? e.cause?.message ?? e.message}`;
        }
        tally[k] = (tally[k] ?? 0) + 1;
    }
    await assertHealthy(srv, 'oversize batches');
    assert.deepEqual(await snapshot(), beforeSnap, 'the events table changed');
    assert.deepEqual(tally, { 413: 10 },
        `POST /v1/batch with a ${batch8m.length}-byte body (Content-Length) right after another request on the same ` +
        `keep-alive connection: expected 413 every time; got ${JSON.stringify(tally)}`);
});
badRequest('single event over 32 KB (Content-Length) -> 413', track(event40k), { status: 413 });
badRequest('batch over 500 KB, chunked, no Content-Length -> 413',
    () => rawRequest(srv, chunkedRequest('/v1/batch', batch600k)), { status: 413 });
badRequest('single event over 32 KB, chunked, no Content-Length -> 413',
    () => rawRequest(srv, chunkedRequest('/v1/track', event40k)), { status: 413 });
badRequest('one event over 32 KB inside a small batch -> 413',
    batch({ batch: [{ type: 'track', ...good() }, { type: 'track', ...good({ properties: { pad: 'z'.repeat(33_000) } }) }] }),
    { status: 413 });
badRequest('batch of 2501 events -> 413',
    batch({ batch: Array.from({ length: 2501 }, (_, i) => ({ type: 'track', userId: 'u', event: 'e', messageId: `m${i}` })) }),
    { status: 413 });
badRequest('messageId over 200 bytes -> 413', track(good({ messageId: 'm'.repeat(201) })), { status: 413, field: 'messageId' });
badRequest('string value over 8 KB -> 413', track(good({ properties: { s: 's'.repeat(9000) } })), { status: 413 });
badRequest('Content-Length says 10 MB -> 413 before the body is sent',
    () => rawRequest(srv, `POST /v1/batch HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: ${basicAuth(srv.writeKey)}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{"batch":['), { status: 413 });

// ---- nesting ------------------------------------------------------------------------------------

function nested(depth) {
    let v = '1';
    for (let i = 0; i < depth; i++) v = i % 2 ? `[${v}]` : `{"a":${v}}`;
    return v;
}
badRequest('properties nested 100 deep -> 400/413',
    track(`{"userId":"u","event":"x","properties":${nested(100)}}`), { status: [400, 413] });
badRequest('arrays nested 15000 deep (stack safety) -> 400/413',
    track(`{"userId":"u","event":"x","properties":{"a":${'['.repeat(15_000)}${']'.repeat(15_000)}}}`), { status: [400, 413] });
badRequest('unclosed nesting 30000 deep -> 400/413',
    track(`{"userId":"u","event":"x","properties":${'['.repeat(30_000)}`), { status: [400, 413] });

// ---- invalid UTF-8 -----------------------------------------------------------------------------

for (const [label, bytes] of [
    ['0xff byte', [0xff]],
    ['lone continuation byte', [0x80]],
    ['overlong "/" (c0 af)', [0xc0, 0xaf]],
    ['UTF-8 encoded surrogate (ed a0 80)', [0xed, 0xa0, 0x80]],
    ['code point past U+10FFFF (f4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ['truncated 3-byte sequence', [0xe2, 0x82]],
]) {
    const body = Buffer.concat([
        Buffer.from('{"userId":"u","event":"x","properties":{"s":"a'), Buffer.from(bytes), Buffer.from('b"}}'),
    ]);
    badRequest(`invalid UTF-8: ${label} -> 400`, track(body), { status: 400 });
}
badRequest('invalid UTF-8 in an object key -> 400',
    track(Buffer.concat([Buffer.from('{"userId":"u","event":"x","properties":{"'), Buffer.from([0xfe]), Buffer.from('":1}}')])),
    { status: 400 });

// ---- headers and request line -------------------------------------------------------------------

badRequest('a 64 KB header -> 4xx or connection closed',
    () => rawRequest(srv, `POST /v1/track HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n` +
        `Authorization: ${basicAuth(srv.writeKey)}\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n` +
        '{"userId":"u","event":"x"}\n'),
    { status: 'closed-or-4xx' });
badRequest('2000 small headers -> 4xx or connection closed',
    () => rawRequest(srv, `GET /healthz HTTP/1.1\r\nHost: ${HOST}\r\n` +
        Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join('') + '\r\n'),
    { status: 'closed-or-4xx' });
badRequest('a 64 KB URL -> 4xx or connection closed',
    () => rawRequest(srv, `GET /healthz?x=${'q'.repeat(64 * 1024)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`),
    { status: 'closed-or-4xx' });
badRequest('a 64 KB Authorization header -> 4xx or connection closed',
    () => rawRequest(srv, `POST /v1/track HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Basic ${'QUFB'.repeat(16 * 1024)}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 26\r\n\r\n{"userId":"u","event":"x"}'),
    { status: 'closed-or-4xx' });
badRequest('Authorization user name longer than 512 bytes -> 401',
    track(good(), { key: `utw_${'a'.repeat(600)}` }), { status: 401 });
badRequest('Content-Length not a number -> 4xx or connection closed',
    () => rawRequest(srv, `POST /v1/track HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: ${basicAuth(srv.writeKey)}\r\n` +
        'Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{"userId":"u","event":"x"}'),
    { status: 'closed-or-4xx' });
badRequest('garbage request line -> 4xx or connection closed',
    () => rawRequest(srv, 'HELLO THERE\r\n\r\n'), { status: 'closed-or-4xx' });

// ---- slow clients ---------------------------------------------------------------------------------

/**
 * Send the headers of a track call announcing a 1000-byte body, then `onOpen(sock)`; resolve
 * when the server closes the connection or after limitMs: { closed, ms, data }.
 */
function slowClient(slow, onOpen, limitMs) {
    return new Promise((resolve) => {
        const t0 = Date.now();
        const sock = net.connect({ host: HOST, port: slow.port });
        let data = '';
        let timer;
        let done = false;
        const finish = (closed) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            resolve({ closed, ms: Date.now() - t0, data });
        };
        sock.on('connect', () => {
            sock.write(`POST /v1/track HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\n` +
                `Authorization: ${basicAuth(slow.writeKey)}\r\nContent-Length: 1000\r\n\r\n{"userId":"slow","event":"Slow",`);
            onOpen(sock);
        });
        sock.on('data', (d) => { data += d; });
        sock.on('close', () => finish(true));
        sock.on('error', () => finish(true));
        timer = setTimeout(() => finish(false), limitMs);
    });
}

/** Run fn(slow) against a server started with --timeout IDLE_TIMEOUT_S; its events must not change. */
async function withSlowServer(fn) {
    const slow = await startServer({ args: ['--timeout', String(IDLE_TIMEOUT_S)] });
    try {
        const before = await eventCount(slow.dir);
        await fn(slow);
        await assertHealthy(slow, 'a slow client');
        assert.equal(await eventCount(slow.dir), before, 'a slow client stored events');
    } finally {
        await slow.close();
    }
}

test(`slow client: headers then a stalled body is closed after --timeout ${IDLE_TIMEOUT_S}`, async () => {
    await withSlowServer(async (slow) => {
        const limit = (IDLE_TIMEOUT_S + 3) * 1000;
        const pending = slowClient(slow, () => {}, limit);
        await assertHealthy(slow, 'while a slow client is connected');
        const r = await pending;
        assert.ok(r.closed, `connection still open ${limit} ms after the body stalled (--timeout ${IDLE_TIMEOUT_S})`);
        assert.ok(r.ms >= (IDLE_TIMEOUT_S - 1) * 1000, `closed after ${r.ms} ms, before the --timeout of ${IDLE_TIMEOUT_S} s`);
    });
});

test(`slow client: a body trickled 1 byte per 500 ms (each gap under --timeout ${IDLE_TIMEOUT_S}) is cut off`, async () => {
    // Slowloris: never idle for --timeout, yet the request would take 500 s to arrive. A
    // server must bound the whole request, or a few hundred such clients hold every slot.
    await withSlowServer(async (slow) => {
        const limit = 4 * IDLE_TIMEOUT_S * 1000;
        let iv;
        let sent = 0;
        const pending = slowClient(slow, (sock) => {
            iv = setInterval(() => {
                if (sent < 900 && !sock.destroyed) { sock.write(' '); sent++; }
            }, 500);
        }, limit);
        await assertHealthy(slow, 'while a client trickles');
        const r = await pending;
        clearInterval(iv);
        assert.ok(r.closed,
            `POST /v1/track with Content-Length: 1000 and the body sent 1 byte every 500 ms: ` +
            `expected the server to close the connection within ${limit} ms (4 x --timeout ${IDLE_TIMEOUT_S}); ` +
            `got: still open after ${r.ms} ms with ${sent} body bytes accepted (the idle timeout never fires)`);
    });
});

// ---- keys -----------------------------------------------------------------------------------------

badRequest('unknown write key (Basic auth) -> 401', track(good(), { key: `utw_${'0'.repeat(48)}` }), { status: 401 });
badRequest('unknown writeKey in the body -> 401',
    () => http(srv, '/v1/track', { body: { ...good(), writeKey: `utw_${'1'.repeat(48)}` } }), { status: 401 });
badRequest('unknown writeKey in a batch body -> 401',
    () => http(srv, '/v1/batch', { body: { writeKey: 'nope', batch: [{ type: 'track', ...good() }] } }), { status: 401 });
badRequest('no key at all -> 401', () => http(srv, '/v1/track', { body: good() }), { status: 401 });
badRequest('Authorization: Basic with invalid base64 -> 401',
    () => http(srv, '/v1/track', { body: good(), headers: { Authorization: 'Basic !!!notbase64!!!' } }), { status: 401 });
badRequest('Authorization: Bearer with the write key -> 401 (not Basic, no writeKey in body)',
    () => http(srv, '/v1/track', { body: good(), headers: { Authorization: `Bearer ${srv.writeKey}` } }), { status: 401 });
badRequest('write key as the Basic password, empty user name -> 401',
    () => http(srv, '/v1/track', { body: good(), headers: { Authorization: 'Basic ' + Buffer.from(`:${srv.writeKey}`).toString('base64') } }),
    { status: 401 });

test('read key -> 403 (Basic auth and writeKey in the body)', async () => {
    const readKey = await cli('key', 'create', '--workspace', 'default', '--kind', 'read', '--data', srv.dir);
    assert.match(readKey, /^\S+$/, `key create printed: ${readKey}`);
    const beforeSnap = await snapshot();
    const r1 = await http(srv, '/v1/track', { key: readKey, body: good() });
    checkAnswer('read key, Basic', r1, { status: 403 });
    const r2 = await http(srv, '/v1/batch', { body: { writeKey: readKey, batch: [{ type: 'track', ...good() }] } });
    checkAnswer('read key, body', r2, { status: 403 });
    await assertHealthy(srv, 'read key');
    assert.deepEqual(await snapshot(), beforeSnap, 'a read key stored events');
});

test('revoked key: revoked with the CLI while the server runs -> 401 within 3 s', async (t) => {
    const key = await cli('key', 'create', '--workspace', 'default', '--kind', 'write', '--data', srv.dir);
    const messageId = `before-revoke-${randomUUID()}`;
    const ok = await http(srv, '/v1/track', { key, body: good({ messageId }) });
    assert.equal(ok.status, 200, `a new key works at once: ${ok.text}`);
    assert.ok(await eventRow(srv.dir, messageId), 'event sent before the revocation is stored');

    const beforeSnap = await snapshot();
    await cli('key', 'revoke', key, '--data', srv.dir);
    const t0 = Date.now();
    // Probe with an invalid body: 400 while the key is still honoured, 401 once revoked (the
    // key is checked before the body), so polling never stores anything.
    let last;
    await pollUntil(async () => {
        last = await http(srv, '/v1/track', { key, body: { event: 'probe' } });
        assert.ok([400, 401].includes(last.status), `probe with the revoked key: ${last.status} ${last.text}`);
        return last.status === 401;
    }, { timeoutMs: 3000, intervalMs: 100, what: 'revoked key refused with 401' }).catch((e) => {
        assert.fail(`${e.message}: POST /v1/track with a key revoked ${Date.now() - t0} ms ago still answers ${last?.status} ${last?.text}`);
    });
    const ms = Date.now() - t0;
    const r = await http(srv, '/v1/track', { key, body: good() });
    checkAnswer('revoked key, valid event', r, { status: 401 });
    const r2 = await http(srv, '/v1/batch', { body: { writeKey: key, batch: [{ type: 'track', ...good() }] } });
    checkAnswer('revoked key in the body', r2, { status: 401 });
    await assertHealthy(srv, 'revoked key');
    assert.deepEqual(await snapshot(), beforeSnap, 'events stored with a revoked key');
    t.diagnostic(`revoked key refused ${ms} ms after \`utmost key revoke\``);
});

test("another workspace's write key stores into that workspace only", async () => {
    const out = await cli('workspace', 'create', `other-${Date.now()}`, '--data', srv.dir);
    const otherId = Number(out);
    assert.ok(Number.isInteger(otherId) && otherId > 0, `workspace create printed ${JSON.stringify(out)}`);
    const [{ id: defaultId }] = await sql(srv.dir, `SELECT id FROM workspaces WHERE name = 'default'`);
    assert.notEqual(otherId, defaultId);
    const otherKey = await cli('key', 'create', '--workspace', String(otherId), '--kind', 'write', '--data', srv.dir);

    const nDefault = await eventCount(srv.dir, defaultId);
    const nOther = await eventCount(srv.dir, otherId);
    const messageId = `ws-${randomUUID()}`;
    const r = await http(srv, '/v1/track', { key: otherKey, body: good({ messageId, userId: 'ws-user' }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(await eventCount(srv.dir, otherId), nOther + 1, 'stored in the other workspace');
    assert.equal(await eventCount(srv.dir, defaultId), nDefault, 'default workspace untouched');
    const rows = await sql(srv.dir, `SELECT workspace_id FROM events WHERE message_id = ${q(messageId)}`);
    assert.deepEqual(rows, [{ workspace_id: otherId }]);

    // messageIds are de-duplicated per workspace: the same id is a new event in default.
    const r2 = await http(srv, '/v1/track', { key: srv.writeKey, body: good({ messageId, userId: 'ws-user' }) });
    assert.equal(r2.status, 200, r2.text);
    const rows2 = await sql(srv.dir, `SELECT workspace_id FROM events WHERE message_id = ${q(messageId)} ORDER BY workspace_id`);
    assert.deepEqual(rows2.map((x) => x.workspace_id), [defaultId, otherId].sort((a, b) => a - b));
    // ...and a retry into the other workspace is still a no-op.
    const r3 = await http(srv, '/v1/batch', { body: { writeKey: otherKey, batch: [{ type: 'track', ...good({ messageId, userId: 'ws-user' }) }] } });
    assert.equal(r3.status, 200, r3.text);
    assert.equal(await eventCount(srv.dir, otherId), nOther + 1);
});

// ---- routes -------------------------------------------------------------------------------------

for (const [method, path] of [['GET', '/'], ['GET', '/nope'], ['POST', '/v1/nope'], ['POST', '/v1/track/extra'],
    ['POST', '/v1'], ['GET', '/healthz/x'], ['POST', '/V1/TRACK']]) {
    badRequest(`unknown path: ${method} ${path} -> 404`,
        () => http(srv, path, { method, key: srv.writeKey, body: method === 'GET' ? undefined : good() }), { status: 404 });
}
for (const [method, path] of [['GET', '/v1/track'], ['PUT', '/v1/batch'], ['DELETE', '/v1/identify'],
    ['PATCH', '/v1/page'], ['POST', '/healthz'], ['DELETE', '/healthz']]) {
    badRequest(`wrong method: ${method} ${path} -> 405`,
        () => http(srv, path, { method, key: srv.writeKey, body: ['GET', 'DELETE'].includes(method) ? undefined : good() }),
        { status: 405 });
}

test('405 answers carry an Allow header (RFC 9110 section 15.5.6)', async () => {
    const missing = [];
    for (const [method, path, allow] of [['GET', '/v1/track', /POST/], ['PUT', '/v1/batch', /POST/], ['POST', '/healthz', /GET/]]) {
        const r = await http(srv, path, { method, body: method === 'GET' ? undefined : '{}' });
        assert.equal(r.status, 405, `${method} ${path}`);
        const got = r.headers.get('allow');
        if (got === null || !allow.test(got)) missing.push(`${method} ${path} -> 405 with Allow: ${got}`);
    }
    assert.deepEqual(missing, [], 'a 405 must list the allowed methods in an Allow header');
});

test('OPTIONS preflight on /v1/track -> 204 with CORS headers', async () => {
    const r = await http(srv, '/v1/track', { method: 'OPTIONS', headers: { Origin: 'https://shop.example.com' } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
});

// ---- rate limit (its own server) ----------------------------------------------------------------

test('rate limit: --rate-limit 5, hammered -> some 429 with Retry-After; refused requests store nothing', async (t) => {
    const limited = await startServer({ args: ['--rate-limit', '5'] });
    try {
        // 6 parallel loops, one event per request, until 60 requests including a 429 have been
        // made (at most 300 requests or 5 s).
        const t0 = Date.now();
        const results = [];
        const more = () => results.length < 300 && Date.now() - t0 < 5000 &&
            (results.length < 60 || !results.some((r) => r.status === 429));
        await Promise.all(Array.from({ length: 6 }, async (_, w) => {
            for (let i = 0; more(); i++) {
                const messageId = `rl-${w}-${i}-${randomUUID()}`;
                const r = await http(limited, '/v1/track', { key: limited.writeKey, body: good({ messageId }) });
                results.push({ messageId, ...r });
            }
        }));
        const N = results.length;
        const elapsed = (Date.now() - t0) / 1000;
        const ok = results.filter((r) => r.status === 200);
        const limitedRs = results.filter((r) => r.status === 429);
        const other = results.filter((r) => r.status !== 200 && r.status !== 429);
        t.diagnostic(`rate limit 5/s: ${N} requests in ${elapsed.toFixed(2)} s: ${ok.length} x 200, ${limitedRs.length} x 429`);
        assert.deepEqual(other.map((r) => `${r.status} ${r.text}`), [], 'only 200 or 429 expected');
        assert.ok(limitedRs.length > 0, `no 429 among ${N} requests in ${elapsed} s at --rate-limit 5`);
        // burst of 2 s worth (10) + 5/s refill, plus one for rounding
        const maxOk = 10 + Math.ceil(5 * elapsed) + 1;
        assert.ok(ok.length <= maxOk, `${ok.length} requests accepted in ${elapsed} s, at most ${maxOk} expected`);
        for (const r of limitedRs) {
            const ra = r.headers.get('retry-after');
            assert.match(String(ra), /^[1-9]\d*$/, `429 without a valid Retry-After (got ${ra})`);
            assert.equal(r.json?.success, false, `429 body: ${r.text}`);
        }
        assert.equal(await eventCount(limited.dir), ok.length, 'stored events = accepted requests');
        const stored = new Set((await sql(limited.dir, 'SELECT message_id FROM events')).map((x) => x.message_id));
        for (const r of limitedRs) assert.ok(!stored.has(r.messageId), `429-refused ${r.messageId} was stored`);

        // The limit is per key: a fresh key is served at once.
        const key2 = await cli('key', 'create', '--workspace', 'default', '--kind', 'write', '--data', limited.dir);
        const r2 = await http(limited, '/v1/track', { key: key2, body: good() });
        assert.equal(r2.status, 200, `another key on the same server: ${r2.text}`);
        // After Retry-After the first key is served again.
        await pollUntil(async () => (await http(limited, '/v1/track', { key: limited.writeKey, body: good() })).status === 200,
            { timeoutMs: 3000, intervalMs: 250, what: 'rate-limited key served again' });
        await assertHealthy(limited, 'rate limiting');
    } finally {
        await limited.close();
    }
});

// ---- finally ----------------------------------------------------------------------------------

test('after all of the above the server still stores a good event', async () => {
    const messageId = `final-${randomUUID()}`;
    const r = await http(srv, '/v1/track', { key: srv.writeKey, body: good({ messageId }) });
    assert.equal(r.status, 200, r.text);
    assert.ok(await eventRow(srv.dir, messageId));
    await assertHealthy(srv, 'the whole bad-input suite');
});
