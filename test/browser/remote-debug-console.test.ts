import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { asLogEntry, type Message } from '../../packages/protocol';
import type { Page, TestBrowser } from '../helpers/browser';
import type { TestSocket } from '../helpers/connect-client';
import { ASYNC_METHODS, SYNC_CALLS, TOTAL, colOf, lineOf, startHookBench, type HookBench } from '../helpers/console-app';
import { signedNotify, postForm } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { collectMessages, once } from '../helpers/wait-for';
import { openDebugPage, readDebugRows, waitForRows } from './remote-debug-fixtures';

// What the hook captures of a page's console, as readers and /debug receive it, and what the
// hooked page itself may not do. The /debug page's own features: remote-debug-viewer.test.ts;
// installing the hook: remote-debug-install.test.ts; network capture: remote-debug-network.test.ts.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug in Chromium: console capture', () => {
  let bench: HookBench;
  let server: TestServer, APP: string, browser: TestBrowser, reader: TestSocket;
  /** What the hooked page sent, as a reader in Node receives it. */
  let received: Message[] = [];
  let debugPage: Page;
  let appPage: Page;
  const localConsole: string[] = [];
  const hookSocketUrls: string[] = [];
  const hookFrames: string[] = [];

  beforeAll(async () => void ({ server, APP, browser, reader } = bench = await startHookBench()));
  afterAll(() => bench?.close());

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
});
