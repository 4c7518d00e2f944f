import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { createRemoteLogger } from '../../packages/log-client';
import { asLogEntry, type LogEntry, type Message } from '../../packages/protocol';
import { publishToken } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { signedNotify, postForm } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once } from '../helpers/wait-for';
import {
  HOOK_BUNDLE,
  SDK_BUNDLE,
  SEED_SIGN,
  VIEWER_BUNDLE,
  openDebugPage,
  readDebugRows,
  requireBundles,
  seedDisplayPage,
  startAppServer,
  waitForRows,
  type AppServer,
} from './remote-debug-fixtures';

const hasChromium = requireChromium();

/** The "customer" script: one console call per line, each tagged with a marker to find its line. */
const APP_JS = `(function () {
  var circular = { name: 'loop' };
  circular.self = circular;
  var withGetter = { ok: 1, get broken() { throw new Error('getter failed'); } };
  console.log('primitives', 'text', 42, true, null, undefined, NaN, -0, Infinity, 10n, Symbol('sym')); // @primitives
  console.log('objects', new Date(0), /ab+c/gi, new Map([['k', { v: 1 }]]), new Set([1, 2]), new Uint8Array([1, 2, 3]), function namedFn() {}); // @objects
  console.log('circular', circular); // @circular
  console.error('failure', new Error('outer', { cause: new TypeError('inner cause') })); // @error
  console.log('dom', document.getElementById('app')); // @dom
  console.log('long', 'x'.repeat(20000)); // @long
  console.log('getter', withGetter); // @getter
  console.info('info %s has %d items', 'cart', 3); // @info
  console.warn('deep', { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }); // @warn
  console.debug('debug details'); // @debug
  console.table([{ a: 1, b: 'x' }, { a: 2, b: 'y' }]); // @table
  console.group('group label'); // @group
  console.log('inside group'); // @inside
  console.groupEnd();
  console.count('clicks'); // @count
  console.count('clicks'); // @count2
  console.assert(1 === 2, 'math is broken'); // @assert
  console.trace('trace here'); // @trace
  console.time('t');
  console.timeEnd('t'); // @timeEnd
  console.dir({ dir: true }); // @dir
  setTimeout(function () { throw new Error('uncaught boom'); }, 0); // @throw
  Promise.reject(new Error('rejected promise')); // @reject
  var img = document.createElement('img'); img.src = '/missing.png'; document.body.appendChild(img); // @img
})();
`;
const APP_LINES = APP_JS.split('\n');
const lineOf = (marker: string) => APP_LINES.findIndex((l) => l.includes(`// @${marker}`)) + 1;
/** V8 points a member call at the property name: `console.log(` -> the column of `log`. */
const colOf = (marker: string) => APP_LINES[lineOf(marker) - 1]!.indexOf('console.') + 'console.'.length + 1;

const SYNC_CALLS: Array<[marker: string, level: string, method: string]> = [
  ['primitives', 'log', 'log'],
  ['objects', 'log', 'log'],
  ['circular', 'log', 'log'],
  ['error', 'error', 'error'],
  ['dom', 'log', 'log'],
  ['long', 'log', 'log'],
  ['getter', 'log', 'log'],
  ['info', 'info', 'info'],
  ['warn', 'warn', 'warn'],
  ['debug', 'debug', 'debug'],
  ['table', 'log', 'table'],
  ['group', 'log', 'group'],
  ['inside', 'log', 'log'],
  ['count', 'log', 'count'],
  ['count2', 'log', 'count'],
  ['assert', 'error', 'assert'],
  ['trace', 'log', 'trace'],
  ['timeEnd', 'log', 'timeEnd'],
  ['dir', 'log', 'dir'],
];
const ASYNC_METHODS = ['onerror', 'resource', 'unhandledrejection'];
const TOTAL = SYNC_CALLS.length + ASYNC_METHODS.length;

// Console capture only: these tests count entries exactly (network and performance entries
// have their own tests, remote-debug-network.test.ts).
function hookPage(server: string, scriptAttrs = ' data-network="off" data-performance="off"'): string {
  return `<!doctype html><html><head><title>Shop page</title>
<script src="${server}/js/node_im_remote_debug.js"${scriptAttrs}></script>
</head><body><div id="app" class="main"></div><script src="/app.js"></script></body></html>`;
}

describe.skipIf(!hasChromium)('remote debug in Chromium', () => {
  let server: TestServer;
  let app: AppServer;
  let APP: string;
  let browser: TestBrowser;
  let reader: TestSocket;
  /** What the hooked page sent, as a reader in Node receives it. */
  let received: Message[] = [];
  let debugPage: Page;
  let appPage: Page;
  const localConsole: string[] = [];
  const hookSocketUrls: string[] = [];
  const hookFrames: string[] = [];

  beforeAll(async () => {
    requireBundles(HOOK_BUNDLE, VIEWER_BUNDLE);
    server = await startServer();
    browser = await launchBrowser();
    app = await startAppServer({
      '/page.html': ['text/html', hookPage(server.url)],
      '/app.js': ['text/javascript', APP_JS],
    });
    APP = app.url;
    reader = await connectClient(server.url, { source: 'remote_debug', roomIds: 'console-log' });
  });

  afterAll(() => closeAll(reader, browser, app, server));

  it('captures every value type, console method, error, rejection and failed load; /debug shows them in order', async () => {
    debugPage = await browser.newPage();
    await openDebugPage(debugPage, server.url);

    const got = collectMessages(reader, TOTAL, 20_000);
    appPage = await browser.newPage();
    appPage.on('console', (m) => localConsole.push(m.text()));
    appPage.on('websocket', (ws) => {
      if (!ws.url().includes('role=publisher')) return;
      hookSocketUrls.push(ws.url());
      ws.on('framereceived', (f) => hookFrames.push(String(f.payload)));
    });
    await appPage.goto(`${APP}/page.html`);
    received = await got;

    // The hook's own view: all sent, nothing dropped.
    await appPage.waitForFunction(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status().buffered === 0);
    const status = await appPage.evaluate(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status());
    expect(status).toMatchObject({ connected: true, sent: TOTAL, dropped: 0, recorded: TOTAL });

    const entries = received.map((m) => asLogEntry(m.data)!);
    expect(entries.every(Boolean)).toBe(true);
    // One session, numbered in call order, the synchronous calls first and exactly as written.
    expect(new Set(entries.map((e) => e.session)).size).toBe(1);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries.slice(0, SYNC_CALLS.length).map((e) => [e.level, e.method])).toEqual(SYNC_CALLS.map(([, l, m]) => [l, m]));
    expect(entries.slice(SYNC_CALLS.length).map((e) => e.method).sort()).toEqual(ASYNC_METHODS);

    // Call sites are the page's lines, never the hook's.
    SYNC_CALLS.forEach(([marker], i) => {
      expect(entries[i]!.callSite, marker).toMatchObject({ file: `${APP}/app.js`, line: lineOf(marker), col: colOf(marker) });
      expect(entries[i]!.callSite!.file).not.toContain('node_im_remote_debug');
    });
    const byMethod = (m: string) => entries.find((e) => e.method === m)!;
    expect(byMethod('onerror').callSite).toMatchObject({ file: `${APP}/app.js`, line: lineOf('throw') });
    expect(byMethod('unhandledrejection').callSite).toMatchObject({ file: `${APP}/app.js`, line: lineOf('reject') });

    // Entry details.
    const first = entries[0]!;
    expect(first).toMatchObject({ kind: 'log', v: 1, origin: 'browser', page: { url: `${APP}/page.html`, title: 'Shop page' } });
    expect(first.userAgent).toMatch(/Chrome/);
    expect(first.viewport!.width).toBeGreaterThan(0);
    expect(entries[12]!.group).toBe(1);
    expect(entries[11]!.group).toBeUndefined();

    // Serialized values, exactly.
    expect(entries[0]!.args).toEqual([
      'primitives', 'text', 42, true, null, { $t: 'undefined' }, { $t: 'NaN' }, { $t: '-0' }, { $t: 'Infinity' },
      { $t: 'bigint', value: '10' }, { $t: 'symbol', description: 'sym' },
    ]);
    expect(entries[1]!.args).toEqual([
      'objects',
      { $t: 'Date', iso: '1970-01-01T00:00:00.000Z' },
      { $t: 'RegExp', source: 'ab+c', flags: 'gi' },
      { $t: 'Map', size: 1, entries: [['k', { v: 1 }]] },
      { $t: 'Set', size: 2, values: [1, 2] },
      { $t: 'TypedArray', ctor: 'Uint8Array', length: 3, values: [1, 2, 3] },
      { $t: 'function', name: 'namedFn' },
    ]);
    expect(entries[2]!.args[1]).toEqual({ name: 'loop', self: { $t: 'circular', path: '$1' } });
    expect(entries[3]!.args[1]).toMatchObject({
      $t: 'Error', name: 'Error', message: 'outer', cause: { $t: 'Error', name: 'TypeError', message: 'inner cause' },
    });
    expect((entries[3]!.args[1] as { stack: string }).stack).toContain('app.js');
    expect(entries[4]!.args[1]).toEqual({ $t: 'node', summary: 'div#app.main' });
    expect(entries[5]!.args[1]).toMatchObject({ $t: 'string', length: 20000 });
    expect(entries[6]!.args[1]).toEqual({ ok: 1, broken: { $t: 'thrown', message: 'Error: getter failed' } });
    expect(JSON.stringify(entries[8]!.args[1])).toContain('{"$t":"depth","ctor":"Object"}');
    expect(entries[13]!.args).toEqual(['clicks: 1']);
    expect(entries[14]!.args).toEqual(['clicks: 2']);
    expect(entries[15]!.args).toEqual(['Assertion failed: math is broken']);
    expect(entries[15]!.stack).toContain('app.js');
    expect(entries[16]!.stack?.split('\n')[0]).toContain(`${APP}/app.js:${lineOf('trace')}`);
    expect(entries[17]!.args[0]).toMatch(/^t: \d+\.\d{3} ms$/);
    expect(byMethod('onerror').args).toMatchObject(['Uncaught', { $t: 'Error', message: 'uncaught boom' }]);
    expect(byMethod('unhandledrejection').args).toMatchObject(['Uncaught (in promise)', { $t: 'Error', message: 'rejected promise' }]);
    expect(byMethod('resource').args).toEqual([`Failed to load <img> ${APP}/missing.png`, { $t: 'node', summary: 'img' }]);

    // The local console kept printing.
    for (const text of ['inside group', 'debug details', 'trace here', 'group label']) {
      expect(localConsole.some((l) => l.includes(text)), text).toBe(true);
    }

    // /debug shows the same, readable, in order.
    const rows = await waitForRows(debugPage, TOTAL);
    expect(rows).toHaveLength(TOTAL);
    expect(rows.map((r) => [r.level, r.method])).toEqual(entries.map((e) => [e.level, e.method]));
    SYNC_CALLS.forEach(([marker], i) => expect(rows[i]!.site, marker).toBe(`app.js:${lineOf(marker)}:${colOf(marker)}`));
    expect(rows[0]!.session).toBe(first.session);
    const msg = rows.map((r) => r.message);
    expect(msg[0]).toBe('primitives text 42 true null undefined NaN -0 Infinity 10n Symbol(sym)');
    expect(msg[1]).toContain('1970-01-01T00:00:00.000Z');
    expect(msg[1]).toContain('/ab+c/gi');
    expect(msg[1]).toContain('Map(1) {"k" => {…}}');
    expect(msg[1]).toContain('Set(2) {1, 2}');
    expect(msg[1]).toContain('Uint8Array(3) [1, 2, 3]');
    expect(msg[1]).toContain('ƒ namedFn()');
    expect(msg[2]).toContain('{name: "loop", self: [Circular $1]}');
    expect(msg[3]).toContain('failure');
    expect(msg[3]).toContain('Error: outer');
    expect(msg[4]).toBe('dom <div#app.main>');
    expect(msg[5]).toContain('(20000 chars in all)');
    expect(msg[6]).toContain('broken: [Thrown: Error: getter failed]');
    expect(msg[7]).toBe('info cart has 3 items');
    expect(msg[15]).toContain('Assertion failed: math is broken');
    expect(msg.find((m) => m.includes('uncaught boom'))).toContain('Uncaught Error: uncaught boom');
    expect(msg.find((m) => m.includes('rejected promise'))).toContain('Uncaught (in promise) Error: rejected promise');
    expect(msg.find((m) => m.includes('missing.png'))).toContain('Failed to load <img>');

    // Expanding an Error shows its stack and cause; the table renders as a table.
    const errorRow = debugPage.locator('#list .row').nth(3);
    await errorRow.locator('details.v-error > summary').first().click();
    await expect.poll(() => errorRow.textContent()).toContain('cause: TypeError: inner cause');
    expect(await errorRow.textContent()).toContain('app.js');
    const tableCells = await debugPage.locator('#list .row').nth(10).locator('td').allTextContents();
    expect(tableCells).toEqual(['0', '1', '"x"', '1', '2', '"y"']);
    // The group's child is indented.
    expect(await debugPage.locator('#list .row').nth(12).locator('.msg').evaluate((e) => getComputedStyle(e).paddingLeft)).toBe('16px');
  });

  it('a /debug opened later shows the recent past from room history', async () => {
    const late = await browser.newPage();
    await openDebugPage(late, server.url);
    const rows = await waitForRows(late, TOTAL);
    expect(rows.map((r) => [r.level, r.method, r.site])).toEqual((await readDebugRows(debugPage)).map((r) => [r.level, r.method, r.site]));
    await late.close();
  });

  it('the page that loads the hook cannot read the room', async () => {
    // What the page has is the hook's connection; its query is all a reader could copy.
    expect(hookSocketUrls.length).toBeGreaterThan(0);
    // Engine.IO's own parameters (EIO, transport, sid) belong to that browser session, not to the credential.
    const query = Object.fromEntries([...new URL(hookSocketUrls[0]!).searchParams].filter(([k]) => !['EIO', 'transport', 'sid', 't'].includes(k)));
    expect(query).toMatchObject({ role: 'publisher', source: 'remote_debug', room_ids: 'console-log' });
    expect(query.sign).toBeUndefined();

    // In the browser: the hook's socket received no newMsg, though every entry reached readers.
    expect(hookFrames.some((f) => f.includes('newMsg'))).toBe(false);

    // With that exact query: connected, but it joins nothing, gets nothing and may not read history.
    const same = io(server.url, { query, transports: ['websocket'], forceNew: true, reconnection: false });
    await once(same, 'connect');
    const leaked: unknown[] = [];
    same.on('newMsg', (m) => leaked.push(m));
    const readerGot = collectMessages(reader, 1);
    expect((await postForm(server.url, signedNotify('console-log', 'probe', 'remote_debug'))).body.code).toBe(1);
    await readerGot;
    const history = await same.timeout(5000).emitWithAck('history', { room_id: 'console-log' });
    expect(history).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const post = await same.timeout(5000).emitWithAck('postMsg', 'hello', 'console-log');
    expect(post).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(leaked).toEqual([]);
    same.close();

    // Without role=publisher the same query is an unsigned reader: refused.
    const { role: _role, ...asReader } = query;
    const refused = io(server.url, { query: asReader, transports: ['websocket'], forceNew: true, reconnection: false });
    const err = await once<Error & { data?: { code: string } }>(refused, 'connect_error');
    expect(err.message).toBe('cilent connect sign can not be null!');
    refused.close();

    // And a hook may not publish to rooms outside its source's hook rooms.
    const elsewhere = io(server.url, { query: { ...query, room_ids: 'other-room' }, transports: ['websocket'], forceNew: true, reconnection: false });
    expect((await once<Error & { data?: { code: string } }>(elsewhere, 'connect_error')).data?.code).toBe('FORBIDDEN');
    elsewhere.close();
  });

  it('back-end log points (Node helper) show on /debug beside browser entries, marked with their origin', async () => {
    const before = (await readDebugRows(debugPage)).length;
    const logger = createRemoteLogger({
      server: server.url,
      source: 'remote_debug',
      signKey: DEMO_SOURCES.remote_debug.signKey,
      room: 'console-log',
      session: 'api-worker',
    });
    logger.warn('queue is slow', { depth: 12 });
    logger.error(new Error('db down'));
    await logger.flush();
    // The plain notify above ("probe") shows too, as a plain message.
    const rows = await waitForRows(debugPage, before + 2);
    const node = rows.slice(-2);
    expect(node.map((r) => r.level)).toEqual(['warn', 'error']);
    expect(node[0]!.message).toBe('node · remote_debug queue is slow {depth: 12}');
    expect(node[1]!.message).toContain('Error: db down');
    expect(node[0]!.session).toBe('api-worker');
    expect(node[0]!.site).toMatch(/^remote-debug\.test\.ts:\d+:\d+$/);
    expect(rows.find((r) => r.method === 'message')?.message).toBe('remote_debug message probe');
  });

  it('/debug filters, sticky follow, clear and NDJSON export', async () => {
    const page = debugPage;
    // Other tabs were opened since: Playwright's actions wait on animation frames, which a background tab lacks.
    await page.bringToFront();
    const total = (await readDebugRows(page)).length;
    // Level filter.
    await page.locator('#levels input[data-level="log"]').uncheck();
    const noLog = await readDebugRows(page);
    expect(noLog.every((r) => r.level !== 'log')).toBe(true);
    expect(noLog.length).toBeGreaterThan(0);
    await page.locator('#levels input[data-level="log"]').check();
    // Text filter (searches inside values), then regex, then a broken regex.
    await page.fill('#text', 'inner cause');
    expect((await readDebugRows(page)).map((r) => r.method)).toEqual(['error']);
    await page.check('#regex');
    await page.fill('#text', '^clicks: [12]$|^ƒ namedFn');
    expect((await readDebugRows(page)).map((r) => r.method)).toEqual(['log', 'count', 'count']);
    await page.fill('#text', '([');
    expect(await page.getAttribute('#text', 'class')).toContain('invalid');
    expect(await readDebugRows(page)).toEqual([]);
    await page.fill('#text', '');
    await page.uncheck('#regex');
    // Session filter.
    await page.selectOption('#session', 'api-worker');
    expect((await readDebugRows(page)).map((r) => r.session)).toEqual(['api-worker', 'api-worker']);
    await page.selectOption('#session', '');
    expect(await readDebugRows(page)).toHaveLength(total);

    // Sticky follow: scrolled up, new entries wait and are counted; the end resumes.
    await page.setViewportSize({ width: 900, height: 300 });
    await page.locator('#list').evaluate((l) => (l.scrollTop = 0));
    await page.locator('#list').dispatchEvent('scroll');
    const logger = createRemoteLogger({ server: server.url, source: 'remote_debug', signKey: DEMO_SOURCES.remote_debug.signKey, room: 'console-log', session: 'late' });
    logger.info('while paused 1');
    logger.info('while paused 2');
    await logger.flush();
    await page.waitForSelector('#resume:not([hidden])');
    expect(await page.textContent('#resume')).toBe('↓ 2 new entries');
    expect(await page.locator('#list').evaluate((l) => l.scrollTop)).toBe(0);
    await page.click('#resume');
    await page.waitForSelector('#resume[hidden]', { state: 'attached' });
    expect(await page.locator('#list').evaluate((l) => l.scrollHeight - l.scrollTop - l.clientHeight)).toBeLessThan(24);

    // Export: NDJSON, one received message per line.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const text = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((s) => {
        let out = '';
        s.on('data', (c) => (out += c));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      }, reject);
    });
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Message);
    expect(lines).toHaveLength(total + 2);
    expect(asLogEntry(lines.at(-1)!.data)?.args).toEqual(['while paused 2']);
    expect(lines[0]).toMatchObject({ source: 'remote_debug', room_id: 'console-log' });

    // Clear.
    await page.click('#clear');
    expect(await readDebugRows(page)).toEqual([]);
    expect(await page.textContent('#count')).toBe('0 entries');
  });

  it('entry text is never markup: a hostile log line renders as text', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const logger = createRemoteLogger({ server: server.url, source: 'remote_debug', signKey: DEMO_SOURCES.remote_debug.signKey, room: 'console-log' });
    logger.log(hostile, { [hostile]: hostile });
    await logger.flush();
    await debugPage.waitForFunction(() => document.querySelector('#list')!.textContent!.includes('__pwned=2'));
    const rows = await readDebugRows(debugPage);
    expect(rows.at(-1)!.message).toContain(hostile);
    expect(await debugPage.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await debugPage.locator('#list img').count()).toBe(0);
  });

  it('publish tokens: a source without unsigned hook rooms takes entries from a page holding its token, and only then', async () => {
    const token = publishToken(DEMO_SOURCES.demo.signKey, 'demo', 'dev-log');
    const demoReader = await connectClient(server.url, { source: 'demo', roomIds: 'dev-log' });
    const page = await browser.newPage();
    app.set(
      '/token.html',
      'text/html',
      `<script src="${server.url}/js/node_im_remote_debug.js" data-source="demo" data-room="dev-log" data-credential="${token}" data-levels="warn,error" data-session="kiosk-7"></script>
<script>console.log('not sent: level filtered'); console.warn('sent with a token');</script>`,
    );
    const got = collectMessages(demoReader, 1);
    await page.goto(`${APP}/token.html`);
    const [m] = await got;
    expect(asLogEntry(m!.data)).toMatchObject({ level: 'warn', args: ['sent with a token'], session: 'kiosk-7', seq: 1 });
    demoReader.close();

    // The reader sign is not a publish token, and no token means no publishing for `demo`.
    for (const [attrs, expected] of [
      [`data-credential="${SEED_SIGN}"`, 'credential is not a publish token'],
      ['', 'does not accept unsigned publishers'],
    ] as const) {
      app.set('/refused.html', 'text/html', `<script src="${server.url}/js/node_im_remote_debug.js" data-source="demo" data-room="dev-log" ${attrs}></script><script>console.log('x')</script>`);
      const refusedPage = await browser.newPage();
      const warned = refusedPage.waitForEvent('console', (c) => c.type() === 'warning' && c.text().includes('refused the hook'));
      await refusedPage.goto(`${APP}/refused.html`);
      expect((await warned).text()).toContain(expected);
      const status = await refusedPage.evaluate(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status());
      expect(status.refused).toContain(expected);
      expect(status.connected).toBe(false);
      await refusedPage.close();
    }
    await page.close();
  });

  it('install(): idempotent, beforeSend redacts and drops, uninstall restores the console', async () => {
    app.set('/manual.html', 'text/html', `<script src="${server.url}/js/node_im_remote_debug.js" data-autostart="false"></script>`);
    const page = await browser.newPage();
    await page.goto(`${APP}/manual.html`);
    const got = collectMessages(reader, 2);
    const result = await page.evaluate(() => {
      const api = (window as any).NODE_IM_REMOTE_DEBUG;
      const original = console.log;
      const beforeSend = (e: LogEntry) => {
        if (JSON.stringify(e.args).includes('drop me')) return null;
        console.log('logging inside beforeSend is not captured');
        return { ...e, args: e.args.map((a) => (typeof a === 'object' && a && 'password' in a ? { ...a, password: '***' } : a)) };
      };
      const a = api.install({ beforeSend, session: 'manual', captureNetwork: false, capturePerformance: false });
      const b = api.install({ session: 'ignored' });
      console.log('login', { user: 'ann', password: 'hunter2' });
      console.log('drop me');
      console.info('kept');
      return { same: a === b, wrapped: console.log !== original, original };
    });
    expect(result.same).toBe(true);
    expect(result.wrapped).toBe(true);
    const entries = (await got).map((m) => asLogEntry(m.data)!);
    expect(entries.map((e) => e.args)).toEqual([['login', { user: 'ann', password: '***' }], ['kept']]);
    expect(entries.map((e) => e.session)).toEqual(['manual', 'manual']);
    expect(entries[1]!.seq).toBe(3);
    const restored = await page.evaluate(() => {
      const before = console.log;
      (window as any).NODE_IM_REMOTE_DEBUG.hook.uninstall();
      return { changed: console.log !== before, native: /\[native code\]/.test(Function.prototype.toString.call(console.log)) };
    });
    expect(restored).toEqual({ changed: true, native: true });
    await page.close();
  });

  it("the seed's pages work unchanged: its hook page and its XIN_NODE display page", async () => {
    requireBundles(SDK_BUNDLE);
    const port = new URL(server.url).port;
    // The seed's display page, verbatim but for the host:port (and the jQuery CDN served locally).
    const display = seedDisplayPage(`http://127.0.0.1:${port}`);
    // The seed's hook page, verbatim.
    const hooked = `<script src="js/node_im_remote_debug.js"></script>
<script>
setInterval(function(){
var w = document.documentElement.clientWidth || document.body.clientWidth;
var h = document.documentElement.clientHeight || document.body.clientHeight;
data = {width:w,height:h};
console.log(data);
},2000);
</script>`;
    // Both pages live on the relay's origin, so their relative js/ paths reach its /js/.
    await browser.context.route(`${server.url}/seed-*.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: route.request().url().includes('display') ? display : hooked }),
    );
    await browser.context.route('https://cdn.bootcss.com/jquery/2.2.3/jquery.min.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: JQUERY_STAND_IN }),
    );
    const displayPage = await browser.newPage();
    await displayPage.goto(`${server.url}/seed-display.html`);
    await displayPage.waitForFunction(() => (window as any).XIN_NODE !== undefined);
    const hookPageTab = await browser.newPage();
    await hookPageTab.setViewportSize({ width: 640, height: 480 });
    await hookPageTab.goto(`${server.url}/seed-hook.html`);
    await displayPage.waitForFunction(() => Array.from(document.querySelectorAll('#messages li')).filter((li) => li.textContent!.includes('"args":[{"width"')).length >= 1, undefined, { timeout: 20_000 });
    const items = await displayPage.$$eval('#messages li', (lis) => lis.map((li) => li.textContent!));
    // The seed's hook page (verbatim, so network capture is on): its console entries, not its requests.
    const shown = items.map((t) => JSON.parse(t) as Message).filter((m) => asLogEntry(m.data) !== undefined && JSON.stringify(m.data).includes('"width"'));
    const entry = asLogEntry(shown[0]!.data)!;
    expect(shown[0]).toMatchObject({ source: 'remote_debug', room_id: 'console-log' });
    // Readable: the arguments as an array of values, not {"0": …}; level and call site included.
    expect(entry).toMatchObject({ level: 'log', method: 'log', args: [{ width: 640, height: 480 }], callSite: { file: `${server.url}/seed-hook.html`, line: 7 } });
    await hookPageTab.close();

    // The display page shows everything a hooked page sends: the full set, in order, with levels and call sites.
    const shop = await browser.newPage(); // a new tab: a new session
    await shop.goto(`${APP}/page.html`);
    const session = await shop.evaluate(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.session as string);
    const ofShop = async () =>
      (await displayPage.$$eval('#messages li', (lis) => lis.map((li) => li.textContent!)))
        .map((t) => asLogEntry((JSON.parse(t) as Message).data))
        .filter((e): e is LogEntry => e?.session === session);
    await expect.poll(async () => (await ofShop()).length, { timeout: 20_000 }).toBe(TOTAL);
    const fromShop = await ofShop();
    expect(fromShop.map((e) => e.seq)).toEqual(fromShop.map((_, i) => i + 1));
    expect(fromShop.slice(0, SYNC_CALLS.length).map((e) => [e.level, e.method, e.callSite?.line])).toEqual(
      SYNC_CALLS.map(([marker, level, method]) => [level, method, lineOf(marker)]),
    );
    expect(fromShop.slice(SYNC_CALLS.length).map((e) => e.method).sort()).toEqual(ASYNC_METHODS);
    await shop.close();
    await displayPage.close();
  });
});

/**
 * The seed's display page loads jQuery 2.2.3 from a CDN this machine cannot reach. This stand-in
 * implements exactly what the page calls: $(selector).append(...), $('<li>').text(string).
 */
const JQUERY_STAND_IN = `(function(){
function W(nodes){this.nodes=nodes;}
W.prototype.append=function(x){var n=this.nodes[0];(x instanceof W?x.nodes:[x]).forEach(function(c){n.appendChild(c)});return this;};
W.prototype.text=function(t){this.nodes.forEach(function(n){n.textContent=t});return this;};
window.$=window.jQuery=function(s){var m=/^<(\\w+)>$/.exec(s);return new W(m?[document.createElement(m[1])]:Array.prototype.slice.call(document.querySelectorAll(s)));};
})();`;
