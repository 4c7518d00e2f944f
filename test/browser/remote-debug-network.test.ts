import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { asDebugEntry, type DebugEntry, type Message, type NetworkEntry, type PerformanceEntryData } from '../../packages/protocol';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { requireChromium } from '../helpers/requirements';
import { runImDebug } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { entryLines } from '../../terminal-viewer/format/entry-lines';
import { toViewEntry } from '../../terminal-viewer/format/view-entry';
import { createSourceMapper, withSourceMaps } from '../../terminal-viewer/stream/source-maps';
import type { StreamListener } from '../../terminal-viewer/stream/types';
import { HOOK_BUNDLE, SEED_SIGN, VIEWER_BUNDLE, freePort, openDebugPage, requireBundles } from './remote-debug-fixtures';

const hasChromium = requireChromium();

const SECRET_TOKEN = 'tok-9f8e7d6c5b4a';
const SECRET_BEARER = 'Bearer s3cr3t-bearer-value';

/**
 * A customer's site with an API: every kind of answer a request can get (ok, 503, slow, a
 * stream, a large text, binary), server-sent events and a WebSocket echo.
 */
/** Paths the site was asked for (to see which source maps a viewer fetched). */
const requested: string[] = [];

async function startSite(pages: Map<string, string>): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    requested.push(pathname);
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', ...extra }).end(body);
    if (pathname === '/js/node_im_remote_debug.js') return send(200, 'text/javascript', readFileSync(HOOK_BUNDLE, 'utf8'));
    const page = pages.get(pathname);
    // Built scripts and maps are readable cross-origin (as on a CDN): /debug fetches them from its own origin.
    const cors: Record<string, string> = pathname.startsWith('/dist/') ? { 'access-control-allow-origin': '*' } : {};
    if (page) return send(200, pathname.endsWith('.js') ? 'text/javascript' : pathname.endsWith('.map') ? 'application/json' : 'text/html', page, cors);
    switch (pathname) {
      case '/api/ok':
        return send(200, 'application/json', '{"ok":true}', { 'x-trace': 'abc' });
      case '/api/down':
        return send(503, 'text/plain', 'down for maintenance');
      case '/api/missing':
        return send(404, 'text/plain', 'nope');
      case '/api/post':
        req.resume();
        return req.on('end', () => send(201, 'application/json', '{"created":1}'));
      case '/api/slow':
        return void setTimeout(() => !res.destroyed && send(200, 'text/plain', 'late'), 3000);
      case '/api/big':
        return send(200, 'text/plain', 'b'.repeat(20_000));
      case '/api/binary':
        return send(200, 'application/octet-stream', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
      case '/api/stream': {
        // Chunked, no Content-Length: the page reads it piece by piece.
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
        let n = 0;
        const tick = () => {
          if (res.destroyed) return;
          res.write(`chunk-${++n};`);
          if (n < 3) setTimeout(tick, 50);
          else res.end();
        };
        return tick();
      }
      case '/sse':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write('data: one\n\n');
        res.write('data: two\n\n');
        return;
      default:
        return send(404, 'text/plain', 'not found');
    }
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The page's own code: each request kind, callable from the test, reporting what the page saw. */
const APP_JS = `window.tests = {
  fetchOk: function () { return fetch('/api/ok?token=${SECRET_TOKEN}&x=1', { headers: { Authorization: '${SECRET_BEARER}', 'X-Custom': 'visible' } }).then(function (r) { return r.json(); }); }, // @fetchOk
  fetchDown: function () { return fetch('/api/down').then(function (r) { return r.status + ' ' + r.statusText; }); },
  fetchRequest: function () { return fetch(new Request('/api/post', { method: 'POST', body: 'hello=world', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).then(function (r) { return r.status; }); },
  fetchAbort: function () { var c = new AbortController(); var p = fetch('/api/slow', { signal: c.signal }); setTimeout(function () { c.abort(); }, 50); return p.then(function () { return 'resolved'; }, function (e) { return e.name; }); },
  fetchTimeout: function () { return fetch('/api/slow', { signal: AbortSignal.timeout(100) }).then(function () { return 'resolved'; }, function (e) { return e.name; }); },
  fetchRefused: function (url) { return fetch(url).then(function () { return 'resolved'; }, function (e) { return e.name + ': ' + e.message; }); },
  fetchStream: function () {
    return fetch('/api/stream').then(function (r) {
      var reader = r.body.getReader(); var dec = new TextDecoder(); var text = ''; var reads = 0;
      function pump() { return reader.read().then(function (x) { if (x.done) return text + ' reads>=' + (reads >= 1); reads++; text += dec.decode(x.value, { stream: true }); return pump(); }); }
      return pump();
    });
  },
  fetchBig: function () { return fetch('/api/big').then(function (r) { return r.text(); }).then(function (t) { return t.length; }); },
  fetchBinary: function () { return fetch('/api/binary').then(function (r) { return r.arrayBuffer(); }).then(function (b) { return b.byteLength; }); },
  xhr: function (method, url, opts) {
    opts = opts || {};
    return new Promise(function (resolve) {
      var x = new XMLHttpRequest();
      x.open(method, url, opts.sync ? false : true);
      if (opts.responseType) x.responseType = opts.responseType;
      if (opts.timeout) x.timeout = opts.timeout;
      x.setRequestHeader('Authorization', '${SECRET_BEARER}');
      var seen = [];
      x.onreadystatechange = function () { seen.push(x.readyState); };
      x.onloadend = function () {
        var body = x.responseType === 'arraybuffer' ? (x.response ? x.response.byteLength : null) : x.responseType === 'json' ? JSON.stringify(x.response) : x.responseText.length;
        resolve({ status: x.status, body: body, states: seen.join('') });
      };
      x.send(opts.body || null);
      if (opts.abort) x.abort();
      if (opts.sync) resolve({ status: x.status, body: x.responseText, sync: true });
    });
  },
  beacon: function () { return navigator.sendBeacon('/api/post?key=${SECRET_TOKEN}', 'ping=1'); },
  beaconTooLarge: function () { return navigator.sendBeacon('/api/post?big=1', 'x'.repeat(70000)); },
  sseRefused: function () { return new Promise(function (resolve) { var es = new EventSource('/api/missing'); es.onerror = function () { resolve(es.readyState); }; }); },
  sse: function () {
    return new Promise(function (resolve) {
      var es = new EventSource('/sse'); var got = [];
      es.onmessage = function (e) { got.push(e.data); if (got.length === 2) { es.close(); resolve(got.join(',')); } };
    });
  },
  ws: function () {
    return new Promise(function (resolve) {
      var ws = new WebSocket('ws://' + location.host + '/ws'); var got = [];
      ws.onopen = function () { ws.send('hello'); ws.send(new Uint8Array([1, 2, 3])); };
      ws.onmessage = function (e) { got.push(typeof e.data); if (got.length === 2) ws.close(1000, 'done'); };
      ws.onclose = function (e) { resolve(e.code + ' ' + got.join(',')); };
    });
  },
  wsRefused: function (url) { return new Promise(function (resolve) { var ws = new WebSocket(url); ws.onclose = function (e) { resolve(e.code); }; }); },
};
`;
const FETCH_OK_LINE = APP_JS.split('\n').findIndex((l) => l.includes('// @fetchOk')) + 1;

function hookTag(relay: string, attrs = ''): string {
  return `<script src="/js/node_im_remote_debug.js" data-server="${relay}" data-session="net-tab"${attrs}></script>`;
}

describe.skipIf(!hasChromium)('remote debug: network capture in Chromium', () => {
  let relay: TestServer;
  let site: Awaited<ReturnType<typeof startSite>>;
  let browser: TestBrowser;
  let reader: TestSocket;
  let page: Page;
  const pages = new Map<string, string>();
  /** Everything the relay delivered to a reader of the debug room, as received. */
  const received: Message[] = [];
  let closedPort: number;

  const entries = () => received.map((m) => asDebugEntry(m.data)).filter((e): e is DebugEntry => e !== undefined);
  const network = (session = 'net-tab') => entries().filter((e): e is NetworkEntry => e.kind === 'network' && e.session === session);
  const waitNet = async (pred: (e: NetworkEntry) => boolean, what: string, session = 'net-tab'): Promise<NetworkEntry> => {
    await until(() => network(session).some(pred), 20_000, what);
    return network(session).find(pred)!;
  };
  const run = <T>(expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;

  beforeAll(async () => {
    requireBundles(HOOK_BUNDLE, VIEWER_BUNDLE);
    relay = await startServer();
    site = await startSite(pages);
    closedPort = await freePort();
    browser = await launchBrowser();
    reader = await connectClient(relay.url, { source: 'remote_debug', roomIds: 'console-log' });
    reader.on('newMsg', (m: Message) => received.push(m));
    pages.set('/app.js', APP_JS);
    // An inline fetch before the hook's tag: the hook learns of it from Resource Timing.
    pages.set(
      '/page.html',
      `<!doctype html><title>net page</title>
<script>window.early = fetch('/api/ok?early=1').then(function (r) { return r.text(); });</script>
${hookTag(relay.url)}
<script src="/app.js"></script>`,
    );
    page = await browser.newPage();
    await page.goto(`${site.url}/page.html`);
    await page.evaluate('window.early');
  });

  afterAll(() => closeAll(reader, browser, site, relay));

  it('fetch: success with the initiator call site, headers readable, secrets redacted before they leave the page', async () => {
    expect(await run('tests.fetchOk()')).toEqual({ ok: true });
    const e = await waitNet((n) => n.type === 'fetch' && n.url.includes('/api/ok?token'), 'fetch ok');
    expect(e).toMatchObject({
      kind: 'network',
      v: 1,
      level: 'info',
      method: 'GET',
      status: 200,
      url: `${site.url}/api/ok?token=[redacted]&x=1`,
      responseSize: 11,
      requestHeaders: { authorization: '[redacted]', 'x-custom': 'visible' },
      callSite: { file: `${site.url}/app.js`, line: FETCH_OK_LINE },
    });
    expect(e.responseHeaders).toMatchObject({ 'content-type': 'application/json', 'content-length': '11' });
    expect(e.duration).toBeGreaterThanOrEqual(0);
    expect(e.start).toBeLessThanOrEqual(e.ts);
    expect(e.responseBody).toBeUndefined(); // bodies are off by default
    // Nothing the relay received or keeps carries the secrets.
    const all = JSON.stringify(received);
    expect(all).not.toContain(SECRET_TOKEN);
    expect(all).not.toContain('s3cr3t-bearer-value');
    const history = await new Promise<unknown>((resolve) => reader.emit('history', { room_id: 'console-log' }, resolve));
    expect(JSON.stringify(history)).toContain('[redacted]');
    expect(JSON.stringify(history)).not.toContain(SECRET_TOKEN);
    expect(JSON.stringify(history)).not.toContain('s3cr3t-bearer-value');
  });

  it('fetch: an HTTP error, a Request object with a body, abort, timeout, a refused connection', async () => {
    expect(await run('tests.fetchDown()')).toBe('503 Service Unavailable');
    expect(await run('tests.fetchRequest()')).toBe(201);
    expect(await run('tests.fetchAbort()')).toBe('AbortError');
    expect(await run('tests.fetchTimeout()')).toBe('TimeoutError');
    expect(await run(`tests.fetchRefused('http://127.0.0.1:${closedPort}/x')`)).toMatch(/^TypeError: Failed to fetch/);

    expect(await waitNet((n) => n.url.endsWith('/api/down'), '503')).toMatchObject({ level: 'error', status: 503, statusText: 'Service Unavailable', responseSize: 20 });
    expect(await waitNet((n) => n.type === 'fetch' && n.url.endsWith('/api/post'), 'request object')).toMatchObject({
      method: 'POST',
      status: 201,
      requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const aborted = await waitNet((n) => n.url.endsWith('/api/slow') && n.failure === 'aborted', 'aborted');
    expect(aborted.level).toBe('error');
    expect(aborted.status).toBeUndefined();
    await waitNet((n) => n.url.endsWith('/api/slow') && n.failure === 'timeout', 'timeout');
    expect(await waitNet((n) => n.url.includes(`:${closedPort}/`), 'refused')).toMatchObject({ failure: 'network error', level: 'error' });
  });

  it('fetch: a streaming response reaches the page chunk by chunk, untouched', async () => {
    expect(await run('tests.fetchStream()')).toBe('chunk-1;chunk-2;chunk-3; reads>=true');
    const e = await waitNet((n) => n.url.endsWith('/api/stream'), 'stream');
    expect(e.status).toBe(200);
    // No Content-Length: the size is Resource Timing's (same origin), or unknown; never read by the hook.
    expect([24, 'unknown']).toContain(e.responseSize);
    expect(await run('tests.fetchBinary()')).toBe(8);
  });

  it('XMLHttpRequest: async, sync, 404, abort, timeout, refused, and responseTypes as the page asked', async () => {
    expect(await run(`tests.xhr('GET', '/api/ok?password=p4ss')`)).toMatchObject({ status: 200, body: 11, states: expect.stringMatching(/^23+4$/) });
    // Sync: loadend fires inside send(), as without the hook.
    expect(await run(`tests.xhr('GET', '/api/ok', { sync: true })`)).toMatchObject({ status: 200, body: 11, states: '4' });
    expect(await run(`tests.xhr('GET', '/api/missing')`)).toMatchObject({ status: 404 });
    expect(await run(`tests.xhr('GET', '/api/slow', { abort: true })`)).toMatchObject({ status: 0 });
    expect(await run(`tests.xhr('GET', '/api/slow', { timeout: 100 })`)).toMatchObject({ status: 0 });
    expect(await run(`tests.xhr('GET', 'http://127.0.0.1:${closedPort}/x')`)).toMatchObject({ status: 0 });
    expect(await run(`tests.xhr('GET', '/api/binary', { responseType: 'arraybuffer' })`)).toMatchObject({ status: 200, body: 8 });
    expect(await run(`tests.xhr('GET', '/api/ok', { responseType: 'json' })`)).toMatchObject({ status: 200, body: '{"ok":true}' });

    const ok = await waitNet((n) => n.type === 'xhr' && n.url.includes('password='), 'xhr ok');
    expect(ok).toMatchObject({ method: 'GET', status: 200, url: `${site.url}/api/ok?password=[redacted]`, requestHeaders: { authorization: '[redacted]' }, responseSize: 11 });
    expect(ok.callSite?.file).toBe(`${site.url}/app.js`);
    await until(() => network().filter((n) => n.type === 'xhr' && n.url === `${site.url}/api/ok` && n.status === 200).length >= 2, 20_000, 'sync + json xhr');
    expect(await waitNet((n) => n.type === 'xhr' && n.url.endsWith('/api/missing'), 'xhr 404')).toMatchObject({ level: 'warn', status: 404 });
    await waitNet((n) => n.type === 'xhr' && n.failure === 'aborted', 'xhr aborted');
    await waitNet((n) => n.type === 'xhr' && n.failure === 'timeout', 'xhr timeout');
    await waitNet((n) => n.type === 'xhr' && n.failure === 'network error' && n.url.includes(`:${closedPort}/`), 'xhr refused');
    expect(JSON.stringify(received)).not.toContain('s3cr3t-bearer-value');
  });

  it('sendBeacon, EventSource and WebSocket: lifecycle rows with message counts and sizes, never contents', async () => {
    expect(await run('tests.beacon()')).toBe(true);
    expect(await run('tests.sse()')).toBe('one,two');
    expect(await run('tests.ws()')).toBe('1000 string,object');
    expect(await run(`tests.wsRefused('ws://127.0.0.1:${closedPort}/nothing')`)).toBe(1006);
    expect(await run('tests.beaconTooLarge()')).toBe(false); // over the browser's 64 KB beacon quota
    expect(await run('tests.sseRefused()')).toBe(2); // CLOSED: a 404 is not an event stream

    expect(await waitNet((n) => n.type === 'beacon', 'beacon')).toMatchObject({ method: 'POST', url: `${site.url}/api/post?key=[redacted]`, requestSize: 6, statusText: 'queued' });
    expect(await waitNet((n) => n.type === 'beacon' && n.url.endsWith('big=1'), 'beacon refused')).toMatchObject({ level: 'error', failure: expect.stringMatching(/^not queued/), requestSize: 70000 });
    expect(await waitNet((n) => n.type === 'eventsource' && n.url.endsWith('/api/missing'), 'sse refused')).toMatchObject({ event: 'error', level: 'error', failure: expect.stringMatching(/closed/) });
    await waitNet((n) => n.type === 'eventsource' && n.event === 'open', 'sse open');
    expect(await waitNet((n) => n.type === 'eventsource' && n.event === 'close', 'sse close')).toMatchObject({ messages: { received: 2, receivedBytes: 6 } });
    expect(await waitNet((n) => n.type === 'websocket' && n.event === 'open', 'ws open')).toMatchObject({ status: 101, url: `ws://${new URL(site.url).host}/ws` });
    const closed = await waitNet((n) => n.type === 'websocket' && n.event === 'close' && n.url.endsWith('/ws'), 'ws close');
    expect(closed).toMatchObject({ code: 1000, reason: 'done', level: 'info', messages: { sent: 2, received: 2, sentBytes: 8, receivedBytes: 8 } });
    expect(JSON.stringify(closed)).not.toContain('hello');
    await waitNet((n) => n.type === 'websocket' && n.event === 'error' && n.url.includes(`:${closedPort}/`), 'ws error');
    expect(await waitNet((n) => n.type === 'websocket' && n.event === 'close' && n.url.includes(`:${closedPort}/`), 'ws refused close')).toMatchObject({ code: 1006, level: 'error' });
  });

  it('requests from before the hook loaded come from Resource Timing, marked; the hook never reports its own traffic', async () => {
    const early = await waitNet((n) => n.url.endsWith('/api/ok?early=1'), 'early fetch');
    expect(early).toMatchObject({ type: 'resource', beforeHook: true, initiator: 'fetch', method: '' });
    const nav = await waitNet((n) => n.type === 'navigation', 'navigation');
    expect(nav).toMatchObject({ url: `${site.url}/page.html`, beforeHook: true, status: 200 });
    await until(() => entries().some((e) => e.kind === 'performance' && e.metric === 'navigation'), 20_000, 'navigation timing');
    const perf = entries().find((e): e is PerformanceEntryData => e.kind === 'performance' && e.metric === 'navigation')!;
    expect(perf.detail).toMatchObject({ ttfb: expect.any(Number), domContentLoaded: expect.any(Number), load: expect.any(Number) });
    // The relay connection (Engine.IO polling and its WebSocket) and the hook script itself: never rows.
    expect(network().filter((n) => n.url.startsWith(`${relay.url}/socket.io/`) || n.url.endsWith('/node_im_remote_debug.js'))).toEqual([]);
  });

  it('bodies: off by default; with data-network-bodies, text bodies up to 8 KB and never binary ones; the page gets everything', async () => {
    expect(network().some((n) => n.responseBody !== undefined || n.requestBody !== undefined)).toBe(false);
    pages.set(
      '/bodies.html',
      `<!doctype html><script>window.orig = [window.fetch, XMLHttpRequest.prototype.open, XMLHttpRequest.prototype.send, XMLHttpRequest.prototype.setRequestHeader, navigator.sendBeacon, window.WebSocket, WebSocket.prototype.send, window.EventSource, EventSource.prototype.close];</script>
${hookTag(relay.url, ' data-network-bodies').replace('net-tab', 'bodies-tab')}<script src="/app.js"></script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/bodies.html`);
    expect(await p.evaluate('tests.fetchBig()')).toBe(20_000);
    expect(await p.evaluate('tests.fetchBinary()')).toBe(8);
    expect(await p.evaluate('tests.fetchRequest()')).toBe(201);
    expect(await p.evaluate(`tests.xhr('GET', '/api/big')`)).toMatchObject({ body: 20_000 });
    const big = await waitNet((n) => n.type === 'fetch' && n.url.endsWith('/api/big'), 'big', 'bodies-tab');
    expect(big.responseBody).toBe('b'.repeat(8192));
    expect(big.bodyTruncated).toBe(true);
    const bin = await waitNet((n) => n.url.endsWith('/api/binary'), 'binary', 'bodies-tab');
    expect(bin.responseBody).toBeUndefined();
    const post = await waitNet((n) => n.type === 'fetch' && n.url.endsWith('/api/post'), 'post', 'bodies-tab');
    expect(post.responseBody).toBe('{"created":1}');
    const xbig = await waitNet((n) => n.type === 'xhr' && n.url.endsWith('/api/big'), 'xhr big', 'bodies-tab');
    expect(xbig.responseBody?.length).toBe(8192);
    // Wrapped while installed (natively named: Proxies), the very originals again after uninstall.
    const now = 'JSON.stringify([window.fetch, XMLHttpRequest.prototype.open, XMLHttpRequest.prototype.send, XMLHttpRequest.prototype.setRequestHeader, navigator.sendBeacon, window.WebSocket, WebSocket.prototype.send, window.EventSource, EventSource.prototype.close].map(function (f, i) { return f === orig[i]; }))';
    expect(await p.evaluate(now)).toBe(JSON.stringify(Array(9).fill(false)));
    expect(await p.evaluate('[fetch.name, /\\[native code\\]/.test(String(fetch)), WebSocket.name, XMLHttpRequest.prototype.open.length]')).toEqual(['fetch', true, 'WebSocket', 2]);
    await p.evaluate('NODE_IM_REMOTE_DEBUG.hook.uninstall()');
    expect(await p.evaluate(now)).toBe(JSON.stringify(Array(9).fill(true)));
    await p.close();
  });

  it('beforeSend sees network entries already redacted', async () => {
    pages.set(
      '/before-send.html',
      `<!doctype html><script src="/js/node_im_remote_debug.js" data-server="${relay.url}" data-autostart="false"></script>
<script>window.seen = []; NODE_IM_REMOTE_DEBUG.install({ session: 'bs-tab', beforeSend: function (e) { if (e.kind === 'network') seen.push(JSON.stringify(e)); return e; } });</script>
<script src="/app.js"></script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/before-send.html`);
    expect(await p.evaluate('tests.fetchOk()')).toEqual({ ok: true });
    await waitNet((n) => n.url.includes('/api/ok?token'), 'redacted fetch', 'bs-tab');
    const seen = (await p.evaluate('seen.join()')) as string;
    expect(seen).toContain('/api/ok?token=[redacted]&x=1');
    expect(seen).toContain('"authorization":"[redacted]"');
    expect(seen).not.toContain(SECRET_TOKEN);
    expect(seen).not.toContain('s3cr3t-bearer-value');
    await p.close();
  });

  it('data-network="off" captures no requests', async () => {
    pages.set('/off.html', `<!doctype html><script>window.f0 = window.fetch;</script>${hookTag(relay.url, ' data-network="off"').replace('net-tab', 'off-tab')}<script src="/app.js"></script><script>console.log('off page')</script>`);
    const p = await browser.newPage();
    await p.goto(`${site.url}/off.html`);
    expect(await p.evaluate('tests.fetchOk()')).toEqual({ ok: true });
    await until(() => entries().some((e) => e.kind === 'log' && e.session === 'off-tab'), 20_000, 'off page log');
    expect(await p.evaluate('window.fetch === window.f0')).toBe(true);
    await p.evaluate('NODE_IM_REMOTE_DEBUG.hook.flush()');
    expect(network('off-tab')).toEqual([]);
    await p.close();
  });

  it('another library wrapping fetch before and after the hook keeps working, and uninstall keeps theirs', async () => {
    pages.set(
      '/libs.html',
      `<!doctype html>
<script>window.calls = []; (function () { var f = window.fetch; window.fetch = function (u, o) { calls.push('before'); return f.apply(this, arguments); }; })();</script>
${hookTag(relay.url).replace('net-tab', 'libs-tab')}
<script>(function () { var f = window.fetch; window.fetch = function (u, o) { calls.push('after'); return f.apply(this, arguments).then(function (r) { calls.push('after-then'); return r; }); }; window.afterWrapper = window.fetch; })();</script>
<script src="/app.js"></script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/libs.html`);
    expect(await p.evaluate('tests.fetchOk().then(function (b) { return [b, calls.join()]; })')).toEqual([{ ok: true }, 'after,before,after-then']);
    await waitNet((n) => n.type === 'fetch' && n.url.includes('/api/ok?token'), 'wrapped fetch', 'libs-tab');
    // Uninstalling cannot put the original back (the later library wraps ours): ours stays, inert.
    expect(await p.evaluate('NODE_IM_REMOTE_DEBUG.hook.uninstall(), window.fetch === window.afterWrapper')).toBe(true);
    expect(await p.evaluate('calls = [], tests.fetchDown().then(function (s) { return [s, calls.join()]; })')).toEqual(['503 Service Unavailable', 'after,before,after-then']);
    await p.close();
  });

  it('requests made before the relay is up wait in the buffer and arrive once it is', async () => {
    const port = await freePort();
    pages.set('/late.html', `<!doctype html><script src="/js/node_im_remote_debug.js" data-server="http://127.0.0.1:${port}" data-session="late-tab"></script><script src="/app.js"></script>`);
    const p = await browser.newPage();
    const offline = p.waitForEvent('console', (c) => c.text().includes('is not reachable yet'));
    await p.goto(`${site.url}/late.html`);
    expect(await p.evaluate('tests.fetchDown()')).toBe('503 Service Unavailable');
    await offline;
    const late = await startServer({}, {}, port);
    try {
      const r = await connectClient(late.url, { source: 'remote_debug', roomIds: 'console-log' });
      const got: Message[] = [];
      r.on('newMsg', (m: Message) => got.push(m));
      const lateNet = () => got.map((m) => asDebugEntry(m.data)).filter((e): e is NetworkEntry => e?.kind === 'network');
      await until(() => lateNet().some((n) => n.url.endsWith('/api/down')), 30_000, 'late 503 row');
      expect(lateNet().find((n) => n.url.endsWith('/api/down'))).toMatchObject({ status: 503, session: 'late-tab', type: 'fetch' });
      r.close();
    } finally {
      await p.close();
      await late.close();
    }
  });

  it('performance: LCP, CLS, INP and a long task, each an entry of its own with a rating', async () => {
    pages.set(
      '/vitals.html',
      `<!doctype html><title>vitals</title>${hookTag(relay.url).replace('net-tab', 'vitals-tab')}
<h1 id="hero" style="font-size:64px">A large heading, the largest paint</h1><p id="text">text below</p>
<button id="slow" style="font-size:32px">slow</button>
<script>
setTimeout(function () { var d = document.createElement('div'); d.style.height = '300px'; document.body.insertBefore(d, document.getElementById('text')); }, 200);
document.getElementById('slow').addEventListener('click', function () { var end = performance.now() + 260; while (performance.now() < end) {} });
</script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/vitals.html`);
    const perf = (metric: string) => entries().find((e): e is PerformanceEntryData => e.kind === 'performance' && e.session === 'vitals-tab' && e.metric === metric);
    await until(() => perf('LCP') !== undefined && perf('CLS') !== undefined, 20_000, 'LCP and CLS');
    // Its rating depends on how busy the machine is; that it has one, and the element, do not.
    expect(perf('LCP')).toMatchObject({ rating: expect.stringMatching(/good|needs-improvement|poor/), detail: { element: expect.stringMatching(/^(h1#hero|p#text)/) } });
    expect(perf('CLS')!.value).toBeGreaterThan(0);
    await p.click('#slow');
    // A busy machine can give the page's own start-up a long task too: the click's is the one of 250 ms or more.
    const clickTask = () =>
      entries().find((e): e is PerformanceEntryData => e.kind === 'performance' && e.session === 'vitals-tab' && e.metric === 'longtask' && e.value >= 250);
    await until(() => perf('INP') !== undefined && clickTask() !== undefined, 20_000, 'INP and the long task of the click');
    expect(perf('INP')!.value).toBeGreaterThanOrEqual(200);
    expect(perf('INP')).toMatchObject({ rating: expect.stringMatching(/needs-improvement|poor/), detail: { target: 'button#slow' } });
    await p.close();
  });

  it('a bundled page with a source map: im-debug tail and /debug show the original call sites, fetching maps only from allowed origins', async () => {
    // A real bundle: TypeScript, minified, with a linked source map, as a build tool makes it.
    const source = ['export function checkout(total: number): void {', "  console.warn('checkout total', total);", "  fetch('/api/down');", '}', 'checkout(3);', 'function failCheckout(): void {', "  console.error(new Error('checkout failed'));", '}', 'failCheckout();', ''].join('\n');
    const built = buildSync({ stdin: { contents: source, sourcefile: 'src/shop.ts', loader: 'ts' }, minify: true, sourcemap: true, write: false, outfile: path.join(process.cwd(), 'dist-test/bundle.js'), format: 'iife' });
    const js = built.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const map = built.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
    pages.set('/dist/bundle.js', js);
    pages.set('/dist/bundle.js.map', map);
    pages.set('/bundled.html', `<!doctype html>${hookTag(relay.url).replace('net-tab', 'bundle-tab')}<script src="/dist/bundle.js"></script>`);
    const p = await browser.newPage();
    await p.goto(`${site.url}/bundled.html`);
    const failed = () => received.find((m) => asDebugEntry(m.data)?.session === 'bundle-tab' && JSON.stringify(m.data).includes('checkout failed'));
    await until(() => entries().some((e) => e.session === 'bundle-tab' && e.kind === 'log') && network('bundle-tab').some((n) => n.url.endsWith('/api/down')) && failed() !== undefined, 20_000, 'bundle entries');
    await p.close();
    const tailLines = async (...extra: string[]) => {
      const t = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--session', 'bundle-tab', ...extra]);
      expect((await t.exited).code).toBe(0);
      return t.stdout.filter(Boolean);
    };
    const warnLine = (lines: string[]) => lines.find((l) => l.includes('checkout total'))!;
    const netLine = (lines: string[]) => lines.find((l) => / NET .*\/api\/down/.test(l))!;

    // Not allowed: the generated location, and no map was fetched.
    requested.length = 0;
    const plain = await tailLines();
    expect(warnLine(plain)).toMatch(/\(dist\/bundle\.js:1:\d+\)$/);
    expect(requested.filter((r) => r.startsWith('/dist/'))).toEqual([]);
    // Another origin allowed is not this one: still nothing fetched.
    await tailLines('--source-maps-from', 'http://127.0.0.1:1');
    expect(requested.filter((r) => r.startsWith('/dist/'))).toEqual([]);

    // Allowed origin: the script and its map are fetched once, the original file and line shown.
    const mapped = await tailLines('--source-maps-from', site.url);
    expect(warnLine(mapped)).toMatch(/\(src\/shop\.ts:2:\d+\)$/);
    expect(netLine(mapped)).toMatch(/\(src\/shop\.ts:3:\d+\)$/);
    expect(requested.filter((r) => r.startsWith('/dist/')).sort()).toEqual(['/dist/bundle.js', '/dist/bundle.js.map']);

    // A folder of maps: nothing fetched at all.
    requested.length = 0;
    const dir = mkdtempSync(path.join(tmpdir(), 'im-maps-'));
    writeFileSync(path.join(dir, 'bundle.js.map'), map);
    const fromDir = await tailLines('--source-maps', dir);
    expect(warnLine(fromDir)).toMatch(/\(src\/shop\.ts:2:\d+\)$/);
    expect(requested).toEqual([]);
    // --json stays the message as received (the generated call site).
    const json = (await tailLines('--source-maps', dir, '--json')).map((l) => JSON.parse(l) as Message);
    expect(JSON.stringify(json)).toContain('/dist/bundle.js');
    expect(JSON.stringify(json)).not.toContain('shop.ts');

    // The Error's stack, frame by frame, through the same mapper and cache as call sites (tail's expanded view).
    const stackLines = async (mapper: ReturnType<typeof createSourceMapper> | undefined) => {
      const message = structuredClone(failed()!);
      const source = { subscribe: (l: StreamListener) => (l.messages?.([message], 'live'), () => undefined) };
      const shown = await new Promise<Message>((resolve) => (mapper ? withSourceMaps(source, mapper) : source).subscribe({ messages: (ms) => resolve(ms[0]!) }));
      return entryLines(toViewEntry(shown, 1, Date.now()), { multiRoom: false, json: false, expanded: true }).map((l) => l.left.map((p) => p.text).join('')).join('\n');
    };
    expect(await stackLines(undefined)).toMatch(/dist\/bundle\.js:1:\d+/);
    const expandedMapped = await stackLines(createSourceMapper({ dir }));
    expect(expandedMapped).toContain('checkout failed');
    expect(expandedMapped).toMatch(/at .*src\/shop\.ts:7:\d+/);
    expect(expandedMapped).toMatch(/at .*src\/shop\.ts:9:\d+/);
    expect(expandedMapped).not.toContain('bundle.js:1:');

    // /debug: the generated location until the user allows the page's origin with a click.
    requested.length = 0;
    const viewer = await browser.newPage();
    await openDebugPage(viewer, relay.url);
    const warnSite = viewer.locator('#list .row:has-text("checkout total") .site');
    await expect.poll(() => warnSite.textContent(), { timeout: 20_000 }).toMatch(/^bundle\.js:1:\d+$/);
    expect(requested.filter((r) => r.startsWith('/dist/'))).toEqual([]);
    await warnSite.click();
    expect(await viewer.textContent('#maps-text')).toContain(site.url);
    await viewer.click('#maps-yes');
    await expect.poll(() => warnSite.textContent(), { timeout: 20_000 }).toMatch(/^shop\.ts:2:\d+$/);
    expect(await warnSite.getAttribute('title')).toContain('generated: ');
    // The Error's stack, opened: each frame at its original file and line (shown as received until the map is in).
    await viewer.click('#list .row:has-text("checkout failed") details.v-error > summary');
    const stack = viewer.locator('#list .row:has-text("checkout failed") pre.v-stack');
    await expect.poll(() => stack.textContent(), { timeout: 20_000 }).toMatch(/at .*src\/shop\.ts:7:\d+/);
    expect(await stack.textContent()).not.toContain('bundle.js:1:');
    // The Network view's initiator through the map too.
    await expect.poll(() => viewer.evaluate(() => [...document.querySelectorAll('.net-row .site')].map((n) => n.textContent).join(' ')), { timeout: 20_000 }).toMatch(/shop\.ts:3/);

    // Each script and map once, for call sites, stacks and initiators alike.
    expect(requested.filter((r) => r.startsWith('/dist/')).sort()).toEqual(['/dist/bundle.js', '/dist/bundle.js.map']);
    // Maps are fetched by a worker whose own CSP allows just the origins the user allowed: the
    // browser refuses any other, whatever the worker is asked.
    const worker = await fetch(`${relay.url}/debug/source-map-worker.js?origin=${encodeURIComponent(site.url)}`);
    expect(worker.headers.get('content-security-policy')).toBe(`default-src 'none'; connect-src ${site.url}`);
    expect((await fetch(`${relay.url}/debug/source-map-worker.js?origin=javascript:alert(1)`)).status).toBe(400);
    expect((await fetch(`${relay.url}/debug/source-map-worker.js?origin=${encodeURIComponent(`${site.url}/path`)}`)).status).toBe(400);
    requested.length = 0;
    const refused = await viewer.evaluate(
      (url) =>
        new Promise<{ ok: boolean }>((resolve) => {
          const w = new Worker('/debug/source-map-worker.js?origin=http://127.0.0.1:1');
          w.onmessage = (ev) => resolve(ev.data as { ok: boolean });
          w.postMessage({ id: 1, url });
        }),
      `${site.url}/dist/bundle.js?not-allowed=1`,
    );
    expect(refused.ok).toBe(false);
    expect(requested).toEqual([]);
    await viewer.close();
  });

  it('/debug shows a Network view and the rows in the console view; im-debug tail prints NET rows', async () => {
    expect(await run('tests.fetchDown()')).toBe('503 Service Unavailable');
    expect(await run('tests.ws()')).toBe('1000 string,object');
    await waitNet((n) => n.type === 'websocket' && n.event === 'close' && n.url.endsWith('/ws'), 'ws close');
    await waitNet((n) => n.url.endsWith('/api/down'), '503');
    const viewer = await browser.newPage();
    await openDebugPage(viewer, relay.url);
    // Console view: network rows interleaved with log rows.
    await viewer.waitForFunction(() => document.querySelectorAll('#list .row[data-kind="network"][data-status="503"]').length > 0, undefined, { timeout: 20_000 });
    const down = await viewer.$eval('#list .row[data-kind="network"][data-status="503"] .msg', (n) => n.textContent);
    expect(down).toMatch(/GET\s+503\s+.*\/api\/down/);
    // Performance entries at a glance: the navigation timing as one row with its rating.
    const perfRow = await viewer.waitForSelector('#list .row[data-kind="performance"]:has-text("navigation load")', { timeout: 20_000 });
    expect(await perfRow.textContent()).toMatch(/navigation load \d+ ms · TTFB \d+ ms · DOMContentLoaded \d+ ms/);
    // Network rows can be hidden from the console view.
    await viewer.selectOption('#network-rows', 'hide');
    expect(await viewer.$$eval('#list .row[data-kind="network"]', (rows) => rows.length)).toBe(0);
    await viewer.selectOption('#network-rows', 'show');
    // Network view: a table with a status class filter.
    await viewer.click('#view-network');
    await viewer.waitForSelector('#net-list .net-row:not(.net-head)', { timeout: 10_000 });
    await viewer.selectOption('#net-status', '5xx');
    const shown = await viewer.$$eval('#net-list .net-row:not(.net-head)', (rows) =>
      rows.map((r) => [r.querySelector('.net-method')!.textContent, r.querySelector('.net-status')!.textContent, r.querySelector('.net-url')!.textContent]),
    );
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every(([, status]) => /^5\d\d$/.test(status!))).toBe(true);
    expect(shown).toContainEqual(['GET', '503', '/api/down']);
    await viewer.click('#net-list .net-row:not(.net-head)');
    const details = await viewer.$eval('#net-detail', (n) => n.textContent ?? '');
    expect(details).toContain('Response headers');
    expect(details).toContain('content-length');
    await viewer.close();

    const tail = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--network', 'only']);
    const { code } = await tail.exited;
    expect(code).toBe(0);
    const lines = tail.stdout.filter(Boolean);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((l) => / NET /.test(l))).toBe(true);
    expect(lines.some((l) => / NET .*GET 503 \/api\/down \d+ ms/.test(l))).toBe(true);
    expect(lines.some((l) => / NET .*WS close 1000 ws:\/\/.*\/ws/.test(l))).toBe(true);
    // --network hide: the console and the measurements, no requests; --json carries the entries as received.
    const hidden = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--network', 'hide']);
    expect((await hidden.exited).code).toBe(0);
    expect(hidden.stdout.some((l) => / NET /.test(l))).toBe(false);
    expect(hidden.stdout.some((l) => / PERF .*navigation load/.test(l))).toBe(true);
    const json = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--json', '--network', 'only']);
    expect((await json.exited).code).toBe(0);
    const parsed = json.stdout.filter(Boolean).map((l) => JSON.parse(l) as Message);
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.every((m) => (m.data as NetworkEntry).kind === 'network')).toBe(true);
    expect(parsed.map((m) => m.data as NetworkEntry)).toContainEqual(expect.objectContaining({ status: 503, url: `${site.url}/api/down` }));
  });
});
