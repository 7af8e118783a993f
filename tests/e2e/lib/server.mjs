// tests/e2e/lib/server.mjs - start the real `utmost serve` on 127.0.0.1 with a fresh data
// directory, read its keys and port from stderr, talk to it, read its SQLite store with the
// sqlite3 command line, and stop it (SIGTERM must give exit code 0).
//
// Environment:
//   UTMOST_BIN        the binary (default: build/dev/utmost in this repository)
//   UTMOST_E2E_KEEP=1 keep the temporary data directories (their paths are printed)

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import nodeHttp from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

const execFileP = promisify(execFile);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = process.env.UTMOST_BIN ?? path.join(REPO, 'build', 'dev', 'utmost');
export const HOST = '127.0.0.1';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 20_000; // the server drains for up to 10 s

// Every server started by this process, killed if the test process exits early.
const live = new Set();
process.on('exit', () => {
    for (const p of live) {
        try { p.kill('SIGKILL'); } catch { /* already gone */ }
    }
});

export function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

/** A fresh temporary data directory. */
export function tempDir(tag = 'data') {
    return mkdtempSync(path.join(tmpdir(), `utmost-e2e-${tag}-`));
}

/**
 * Start `utmost serve --listen 127.0.0.1:0 --data DIR ...args`.
 * Resolves once "listening on http://ADDR:PORT" is printed, with
 * { proc, dir, port, base, writeKey, adminKey, stderr(), exited, stop(), kill(), close() }.
 * writeKey/adminKey are null when DIR already held a store (no keys printed then).
 */
export async function startServer({ args = [], dir = null } = {}) {
    assert.ok(existsSync(BIN), `utmost binary not found at ${BIN} (build it, or set UTMOST_BIN)`);
    const dataDir = dir ?? tempDir();
    const argv = ['serve', '--listen', `${HOST}:0`, '--data', dataDir, ...args];
    const proc = spawn(BIN, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(proc);
    let err = '';
    const exited = new Promise((resolve) => {
        proc.on('exit', (code, signal) => {
            live.delete(proc);
            resolve({ code, signal });
        });
    });
    proc.stderr.setEncoding('utf8');

    const ready = new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            proc.kill('SIGKILL');
            reject(new Error(`utmost serve did not print "listening on" within ${START_TIMEOUT_MS} ms; ` +
                `command: ${BIN} ${argv.join(' ')}\nstderr:\n${err}`));
        }, START_TIMEOUT_MS);
        proc.stderr.on('data', (chunk) => {
            err += chunk;
            const m = /^listening on http:\/\/([\d.]+):(\d+)$/m.exec(err);
            if (m) {
                clearTimeout(timer);
                resolve({ host: m[1], port: Number(m[2]) });
            }
        });
        proc.on('error', (e) => {
            clearTimeout(timer);
            reject(new Error(`cannot start ${BIN}: ${e.message}`));
        });
        exited.then(({ code, signal }) => {
            clearTimeout(timer);
            reject(new Error(`utmost serve exited (code ${code}, signal ${signal}) before listening; ` +
                `command: ${BIN} ${argv.join(' ')}\nstderr:\n${err}`));
        });
    });
    const { host, port } = await ready;
    assert.equal(host, HOST, `server listens on ${host}, expected ${HOST}`);
    const writeKey = /^\s+write key: (\S+)$/m.exec(err)?.[1] ?? null;
    const adminKey = /^\s+admin key: (\S+)$/m.exec(err)?.[1] ?? null;
    if (dir === null) {
        assert.match(String(writeKey), /^utw_/, `no "write key: utw_..." line on first start; stderr:\n${err}`);
        assert.match(String(adminKey), /^uta_/, `no "admin key: uta_..." line on first start; stderr:\n${err}`);
    }

    const srv = {
        proc,
        dir: dataDir,
        port,
        base: `http://${HOST}:${port}`,
        writeKey,
        adminKey,
        exited,
        stderr: () => err,
        /** True while the process has not exited. */
        running: () => proc.exitCode === null && proc.signalCode === null,
        /** SIGTERM and wait for the exit ({ code, signal }); SIGKILL and throw after 20 s. */
        async terminate() {
            if (srv.running()) {
                proc.kill('SIGTERM');
            }
            return withTimeout(exited, STOP_TIMEOUT_MS, () => {
                proc.kill('SIGKILL');
                return `server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; stderr:\n${err}`;
            });
        },
        /** SIGTERM, wait for the exit and assert a clean exit code 0. */
        async stop() {
            if (!srv.running()) {
                const r = await exited;
                assert.fail(`server had already exited (code ${r.code}, signal ${r.signal}) before stop; stderr:\n${err}`);
            }
            const r = await srv.terminate();
            assert.deepEqual(r, { code: 0, signal: null },
                `server must exit with code 0 after SIGTERM; got code ${r.code}, signal ${r.signal}; stderr:\n${err}`);
            return r;
        },
        /** SIGKILL (a crash); resolves once the process is gone. */
        async kill() {
            if (srv.running()) {
                proc.kill('SIGKILL');
            }
            return exited;
        },
        /** stop() if still running (asserting exit 0), then remove the data directory. */
        async close() {
            try {
                if (srv.running()) {
                    await srv.stop();
                }
            } finally {
                removeDir(dataDir);
            }
        },
    };
    return srv;
}

export function removeDir(dir) {
    if (process.env.UTMOST_E2E_KEEP) {
        console.log(`# kept data directory ${dir}`);
        return;
    }
    rmSync(dir, { recursive: true, force: true });
}

async function withTimeout(promise, ms, onTimeout) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(onTimeout())), ms);
    });
    try {
        return await Promise.race([promise, t]);
    } finally {
        clearTimeout(timer);
    }
}

/** Run `utmost ARGS...`; resolves with stdout trimmed, rejects with stderr on failure. */
export async function cli(...args) {
    try {
        const { stdout } = await execFileP(BIN, args, { timeout: 10_000 });
        return stdout.trim();
    } catch (e) {
        throw new Error(`utmost ${args.join(' ')} failed (code ${e.code}): ${e.stderr ?? e.message}`);
    }
}

/**
 * Rows of query on DIR/utmost.db as objects (sqlite3 -json). Opening the file also runs
 * SQLite's WAL recovery after a crash, as any later reader would.
 */
export async function sql(dir, query) {
    const db = path.join(dir, 'utmost.db');
    let stdout;
    try {
        ({ stdout } = await execFileP('sqlite3', ['-bail', '-cmd', '.timeout 5000', '-json', db, query],
            { timeout: 20_000, maxBuffer: 256 << 20 }));
    } catch (e) {
        throw new Error(`sqlite3 ${db} failed on: ${query}\n${e.stderr ?? e.message}`);
    }
    return stdout.trim() === '' ? [] : JSON.parse(stdout);
}

/** Quote a value as an SQL string literal. */
export function q(s) {
    return `'${String(s).replaceAll("'", "''")}'`;
}

/** Number of rows in events (optionally for one workspace). */
export async function eventCount(dir, workspaceId = null) {
    const where = workspaceId === null ? '' : ` WHERE workspace_id = ${Number(workspaceId)}`;
    const [row] = await sql(dir, `SELECT count(*) AS n FROM events${where}`);
    return row.n;
}

/** The stored events row for a message id (or undefined), with body parsed as `json`. */
export async function eventRow(dir, messageId) {
    const rows = await sql(dir, `SELECT * FROM events WHERE message_id = ${q(messageId)}`);
    assert.ok(rows.length <= 1, `message id ${messageId} stored ${rows.length} times`);
    if (rows.length === 0) {
        return undefined;
    }
    return { ...rows[0], json: JSON.parse(rows[0].body) };
}

export function basicAuth(key) {
    return 'Basic ' + Buffer.from(`${key}:`).toString('base64');
}

/**
 * fetch against the server with a timeout. opts: method, headers, body (object → JSON),
 * key (Basic auth). Resolves { status, headers, text, json }.
 */
export async function http(srv, urlPath, { method = 'POST', headers = {}, body, key, timeoutMs = 10_000 } = {}) {
    const h = { ...headers };
    let payload = body;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        payload = JSON.stringify(body);
    }
    if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
        h['Content-Type'] = 'application/json';
    }
    if (key !== undefined) {
        h.Authorization = basicAuth(key);
    }
    const res = await fetch(srv.base + urlPath, {
        method, headers: h, body: payload, signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json };
}

/**
 * A request on a new connection (no keep-alive pool, so no race with the server closing an
 * idle pooled connection). body: string, Buffer or object (JSON). Resolves { status, headers,
 * text, json }.
 */
export function requestFresh(srv, urlPath, { method = 'GET', headers = {}, body, key, timeoutMs = 10_000 } = {}) {
    const h = { ...headers };
    let payload = body;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        payload = JSON.stringify(body);
    }
    if (payload !== undefined) {
        h['Content-Type'] ??= 'application/json';
        h['Content-Length'] = Buffer.byteLength(payload);
    }
    if (key !== undefined) {
        h.Authorization = basicAuth(key);
    }
    return new Promise((resolve, reject) => {
        const req = nodeHttp.request({ host: HOST, port: srv.port, path: urlPath, method, headers: h, agent: false, timeout: timeoutMs },
            (res) => {
                let text = '';
                res.setEncoding('utf8');
                res.on('data', (d) => { text += d; });
                res.on('end', () => {
                    let json;
                    try { json = JSON.parse(text); } catch { json = undefined; }
                    resolve({ status: res.statusCode, headers: new Headers(res.headers), text, json });
                });
                res.on('error', reject);
            });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
    });
}

/** GET on a new connection. */
export function getFresh(srv, urlPath, opts = {}) {
    return requestFresh(srv, urlPath, { ...opts, method: 'GET' });
}

/** GET /healthz (on a new connection) must answer 200 {"ok":true}. */
export async function assertHealthy(srv, context = '') {
    const after = context ? ` after ${context}` : '';
    assert.ok(srv.running(), `server process died${after}; stderr:\n${srv.stderr()}`);
    let r;
    try {
        r = await getFresh(srv, '/healthz');
    } catch (e) {
        assert.fail(`GET /healthz failed${after}: ${e.message}; server running: ${srv.running()}; stderr:\n${srv.stderr()}`);
    }
    assert.equal(r.status, 200, `GET /healthz${after}: status ${r.status}, body ${r.text}`);
    assert.equal(r.text, '{"ok":true}', `GET /healthz${after}`);
}

/**
 * Send raw bytes on a new TCP connection to the server; resolves with everything read until
 * the server closes, or until idleMs passes with nothing new once a complete-looking response
 * is in. { data (string), closed (server closed the socket), error (socket error code) }.
 */
export function rawRequest(srv, bytes, { timeoutMs = 10_000 } = {}) {
    return new Promise((resolve) => {
        const sock = net.connect({ host: HOST, port: srv.port });
        const chunks = [];
        let done = false;
        const finish = (closed, error = null) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            resolve({ data: Buffer.concat(chunks).toString('latin1'), closed, error });
        };
        const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
        sock.on('data', (d) => {
            chunks.push(d);
            const s = Buffer.concat(chunks).toString('latin1');
            if (responseComplete(s)) finish(false);
        });
        sock.on('end', () => finish(true));
        sock.on('close', () => finish(true));
        sock.on('error', (e) => finish(true, e.code ?? e.message));
        sock.on('connect', () => {
            sock.write(bytes, () => {});
        });
    });
}

/** True when s holds a full HTTP/1.1 response (Content-Length or chunked). */
export function responseComplete(s) {
    const end = s.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const head = s.slice(0, end);
    const cl = /^content-length:\s*(\d+)/im.exec(head);
    if (cl) return s.length - end - 4 >= Number(cl[1]);
    if (/^transfer-encoding:\s*chunked/im.test(head)) return s.endsWith('0\r\n\r\n');
    return false;
}

/** Status code of the first response in raw text, or null. */
export function rawStatus(s) {
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(s);
    return m ? Number(m[1]) : null;
}

/** Poll fn() until it returns a truthy value, every intervalMs, for at most timeoutMs. */
export async function pollUntil(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (let i = 0; ; i++) {
        last = await fn();
        if (last) return last;
        if (Date.now() >= deadline || i > 10_000) {
            throw new Error(`${what} not reached within ${timeoutMs} ms`);
        }
        await sleep(intervalMs);
    }
}
