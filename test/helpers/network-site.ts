import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { asDebugEntry, type DebugEntry, type Message, type NetworkEntry } from '../../packages/protocol';
import { HOOK_BUNDLE, VIEWER_BUNDLE, freePort, requireBundles } from '../browser/remote-debug-fixtures';
import { launchBrowser, type Page, type TestBrowser } from './browser';
import { closeAll } from './close-all';
import { connectClient, type TestSocket } from './connect-client';
import { startServer, type TestServer } from './start-server';
import { until } from './wait-for';

// The bench of the remote-debug network tests (remote-debug-network, -network-options,
// -performance and -source-maps): a customer's site with an API, the page's code that calls it,
// a relay, Chromium, and a reader of the debug room recording what the relay delivers.

export const SECRET_TOKEN = 'tok-9f8e7d6c5b4a';
export const SECRET_BEARER = 'Bearer s3cr3t-bearer-value';

export type ApiSite = Awaited<ReturnType<typeof startApiSite>>;

/**
 * A customer's site with an API: every kind of answer a request can get (ok, 503, slow, a
 * stream, a large text, binary), server-sent events and a WebSocket echo; the pages in `pages`,
 * and the built hook at /js/node_im_remote_debug.js. Each path asked for is pushed to `requested`
 * (to see which source maps a viewer fetched).
 */
export async function startApiSite(pages: Map<string, string>, requested: string[]): Promise<{ url: string; server: Server; close(): Promise<void> }> {
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
export const APP_JS = `window.tests = {
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
export const FETCH_OK_LINE = APP_JS.split('\n').findIndex((l) => l.includes('// @fetchOk')) + 1;

/** The hook's script tag on a page of the site, reporting to `relay` as session net-tab. */
export function hookTag(relay: string, attrs = ''): string {
  return `<script src="/js/node_im_remote_debug.js" data-server="${relay}" data-session="net-tab"${attrs}></script>`;
}

export interface NetworkCapture {
  /** The site's pages, by path: a test adds its own. */
  pages: Map<string, string>;
  /** Everything the relay delivered to a reader of the debug room, as received. */
  received: Message[];
  /** Paths the site was asked for. */
  requested: string[];
  entries(): DebugEntry[];
  network(session?: string): NetworkEntry[];
  /** The first network entry of `session` that matches, once there is one. */
  waitNet(pred: (e: NetworkEntry) => boolean, what: string, session?: string): Promise<NetworkEntry>;
  /** Evaluates `expr` in /page.html (session net-tab, the page's code loaded as window.tests). */
  run<T>(expr: string): Promise<T>;
  /** Starts the relay, the site, Chromium and the reader, and opens /page.html (after an inline fetch made before the hook loads). */
  start(): Promise<{ relay: TestServer; site: ApiSite; browser: TestBrowser; reader: TestSocket; page: Page; closedPort: number }>;
  close(): Promise<void>;
}

/** The bench, for a describe block: the arrays and functions are there at once, the rest once `start()` resolves. */
export function networkCapture(): NetworkCapture {
  let relay: TestServer | undefined;
  let site: ApiSite | undefined;
  let browser: TestBrowser | undefined;
  let reader: TestSocket | undefined;
  let page: Page;
  const pages = new Map<string, string>();
  const received: Message[] = [];
  const requested: string[] = [];

  const entries = () => received.map((m) => asDebugEntry(m.data)).filter((e): e is DebugEntry => e !== undefined);
  const network = (session = 'net-tab') => entries().filter((e): e is NetworkEntry => e.kind === 'network' && e.session === session);
  const waitNet = async (pred: (e: NetworkEntry) => boolean, what: string, session = 'net-tab'): Promise<NetworkEntry> => {
    await until(() => network(session).some(pred), 20_000, what);
    return network(session).find(pred)!;
  };
  const run = <T>(expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;

  return {
    pages,
    received,
    requested,
    entries,
    network,
    waitNet,
    run,
    async start() {
      requireBundles(HOOK_BUNDLE, VIEWER_BUNDLE);
      relay = await startServer();
      site = await startApiSite(pages, requested);
      const closedPort = await freePort();
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
      return { relay, site, browser, reader, page, closedPort };
    },
    close: () => closeAll(reader, browser, site, relay),
  };
}
