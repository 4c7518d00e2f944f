import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../packages/protocol';
import { DEMO_SOURCES } from '../../server/config';
import { PROJECT_ROOT } from '../../server/create-server';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { requireChromium } from '../helpers/requirements';
import { startSite, type TestSite } from '../helpers/site';
import { postForm, signedNotify } from '../helpers/notify';
import { runImDebug } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { openDebugPage, requireBundles, VIEWER_BUNDLE, waitForRows } from './remote-debug-fixtures';

/**
 * Pages written the way the contract's example pages are (script tags, a page-level inline
 * script, `XIN_NODE.init(url + '?userid=..&sign=..', callbacks)`), against the browser build
 * of socket.io-client 2.5 that the original project's deployed node_im.min.js bundled. The
 * "SDK" below is a few lines written from the contract, not the original file.
 */

const enabled = requireChromium();
const V2_BUILD = path.join(PROJECT_ROOT, 'node_modules/socket.io-client-v2/dist/socket.io.js');
const JQUERY = path.join(PROJECT_ROOT, 'node_modules/jquery/dist/jquery.min.js');
const MD5 = path.join(PROJECT_ROOT, 'dist/browser/md5.js');
const SDK_V4 = path.join(PROJECT_ROOT, 'dist/browser/node_im.min.js');
const DEMO_KEY = DEMO_SOURCES.demo.signKey;
const DEBUG_KEY = DEMO_SOURCES.remote_debug.signKey;

/** The old SDK's shape (contract: "Browser SDK"), on socket.io-client 2's `io`. */
const OLD_SDK = `
var XIN_NODE = (function () {
  var socket = null;
  return {
    init: function (socket_server_url, config) {
      if (socket) return false;
      var opts = window.V2_TRANSPORTS ? { transports: window.V2_TRANSPORTS } : {};
      socket = io(socket_server_url, opts);
      window.v2socket = socket;
      socket.on('connect', function () { if (config.connected_callback) config.connected_callback(socket); });
      socket.on('newMsg', function (message) { if (config.receive_message_callback) config.receive_message_callback(message); });
      socket.on('sys_error', function (err) { if (config.sys_error_callback) config.sys_error_callback(err); });
      socket.on('refreshPage', function () { location.reload(); });
      return true;
    },
    send_msg: function (data, room_ids) {
      if (!socket || !socket.connected) { alert('websocket service not connect,can not send message!'); return; }
      socket.emit('postMsg', data, room_ids);
    }
  };
})();
var NODE_IM = XIN_NODE;
`;

/** A chat / notify page: shows each message as a line, errors in #errors, the load count in #loads. */
function pageHtml(opts: { sdk: 'v2' | 'v4'; relay: string; source?: string; key?: string; badSign?: boolean; jquery?: boolean }): string {
  const source = opts.source ?? 'demo';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>old page</title></head>
<body>
<p id="status">not connected</p><p id="loads"></p><p id="notify-result"></p>
<ul id="messages"></ul><ul id="errors"></ul>
${opts.jquery ? '<script src="js/jquery.min.js"></script>' : ''}
<script src="js/md5.js"></script>
${opts.sdk === 'v2' ? `<script src="js/socket.io.js"></script>\n<script>${OLD_SDK}</script>` : '<script src="js/node_im.min.js"></script>'}
<script>
var q = {};
location.search.slice(1).split('&').forEach(function (kv) { var p = kv.split('='); q[p[0]] = decodeURIComponent(p[1] || ''); });
if (q.transport) window.V2_TRANSPORTS = [q.transport];
sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1);
document.getElementById('loads').textContent = sessionStorage.loads;
var source = ${JSON.stringify(source)};
var sign_key = ${JSON.stringify(opts.key ?? DEMO_KEY)}; // DEMO ONLY: a real site signs on its back end
var sign = ${opts.badSign ? "'0123456789abcdef0123456789abcdef'" : 'md5(source + q.room + sign_key)'};
var socket_server_url = ${JSON.stringify(opts.relay)} + '?userid=' + q.userid + '&username=' + encodeURIComponent(q.username) +
  '&source=' + source + '&room_ids=' + encodeURIComponent(q.room) + '&sign=' + sign + '&ext_info=' + (q.watch_quit ? '&watch_quit=1' : '');
function line(list, text) { var li = document.createElement('li'); li.textContent = text; document.getElementById(list).appendChild(li); }
XIN_NODE.init(socket_server_url, {
  receive_message_callback: function (message) {
    line('messages', message.room_id + ' ' + (typeof message.data === 'string' ? message.data : JSON.stringify(message.data)));
  },
  connected_callback: function () { document.getElementById('status').textContent = 'connected'; },
  sys_error_callback: function (err) { line('errors', String(err)); },
  max_attemptNumber: 3
});
function notify(room_id, data) {
  $.post(${JSON.stringify(opts.relay)} + '/api/notify', { source: source, room_id: room_id, data: data, sign: md5(source + room_id + data + sign_key) }, function (res) {
    document.getElementById('notify-result').textContent = res.msg;
  }, 'json');
}
</script>
</body></html>`;
}

/** The original debug hook's way, written from the contract: console.log goes to console-log as arguments. */
function hookPageHtml(relay: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>hooked page</title></head>
<body><p id="status">not connected</p>
<script src="js/md5.js"></script>
<script src="js/socket.io.js"></script>
<script>
(function () {
  var source = 'remote_debug', room = 'console-log';
  var sign = md5(source + room + ${JSON.stringify(DEBUG_KEY)});
  var socket = io(${JSON.stringify(relay)} + '?userid=hook&username=hook&source=' + source + '&room_ids=' + room + '&sign=' + sign + '&ext_info=');
  socket.on('connect', function () { document.getElementById('status').textContent = 'connected'; });
  // As the original did: replaces console.log (without printing) with a postMsg of its arguments.
  console.log = function () { socket.emit('postMsg', arguments, room); };
})();
</script>
</body></html>`;
}

let site: TestSite;
let relay: TestServer;
let browser: TestBrowser;
const opened: Page[] = [];

beforeAll(async () => {
  if (!enabled) return;
  requireBundles(MD5, SDK_V4, VIEWER_BUNDLE);
  for (const f of [V2_BUILD, JQUERY]) if (!existsSync(f)) throw new Error(`${f} is missing: run npm ci (a devDependency)`);
  relay = await startServer({ adminKey: 'legacy-pages-admin-0123456789' });
  // localhost vs the relay's 127.0.0.1: another origin, as a customer's site is.
  site = await startSite({ '/js/socket.io.js': V2_BUILD, '/js/jquery.min.js': JQUERY, '/js/md5.js': MD5, '/js/node_im.min.js': SDK_V4 });
  site.set('/v2.html', pageHtml({ sdk: 'v2', relay: relay.url, jquery: true }));
  site.set('/v2-bad.html', pageHtml({ sdk: 'v2', relay: relay.url, badSign: true }));
  site.set('/v4.html', pageHtml({ sdk: 'v4', relay: relay.url }));
  site.set('/hooked.html', hookPageHtml(relay.url));
  browser = await launchBrowser();
}, 60_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

afterAll(() => closeAll(browser, site, relay));

async function open(name: string, q: Record<string, string>): Promise<Page> {
  const page = await browser.newPage();
  opened.push(page);
  page.on('dialog', (d) => void d.dismiss());
  await page.goto(`${site.url}/${name}?${new URLSearchParams(q).toString()}`);
  return page;
}
const connected = (page: Page) => page.waitForFunction(() => document.getElementById('status')!.textContent === 'connected', undefined, { timeout: 20_000 });
const lines = (page: Page, list = 'messages') => page.$$eval(`#${list} li`, (els) => els.map((e) => e.textContent ?? ''));
async function waitLines(page: Page, count: number, list = 'messages'): Promise<string[]> {
  await page.waitForFunction(([l, n]) => document.querySelectorAll(`#${l} li`).length >= (n as number), [list, count] as const, { timeout: 20_000 });
  return lines(page, list);
}
/** The pages' globals, as page.evaluate sees them. */
type PageWindow = { XIN_NODE: { send_msg(data: unknown, rooms: string): void }; notify(roomId: string, data: string): void };
const transportOf = (page: Page) => page.evaluate(() => (window as unknown as { v2socket: { io: { engine: { transport: { name: string } } } } }).v2socket.io.engine.transport.name);

describe.skipIf(!enabled)('old pages on socket.io-client 2 (Chromium)', () => {
  it('chat between two v2 pages (polling and websocket) and one page on our SDK', async () => {
    const alice = await open('v2.html', { room: 'chat', userid: 'a1', username: 'alice', transport: 'polling' });
    const bob = await open('v2.html', { room: 'chat', userid: 'b1', username: 'bob', transport: 'websocket' });
    const carol = await open('v4.html', { room: 'chat', userid: 'c1', username: 'carol' });
    await Promise.all([alice, bob, carol].map(connected));
    expect(await transportOf(alice)).toBe('polling');
    expect(await transportOf(bob)).toBe('websocket');

    await alice.evaluate(() => (window as unknown as PageWindow).XIN_NODE.send_msg({ username: 'alice', text: '你好' }, 'chat'));
    for (const p of [alice, bob, carol]) expect(await waitLines(p, 1)).toEqual(['chat {"username":"alice","text":"你好"}']);
    await carol.evaluate(() => (window as unknown as PageWindow).XIN_NODE.send_msg({ username: 'carol', text: 'hi' }, 'chat'));
    for (const p of [alice, bob, carol]) expect((await waitLines(p, 2))[1]).toBe('chat {"username":"carol","text":"hi"}');
    await bob.evaluate(() => (window as unknown as PageWindow).XIN_NODE.send_msg('bob here', 'chat'));
    for (const p of [alice, bob, carol]) expect((await waitLines(p, 3))[2]).toBe('chat bob here');
    for (const p of [alice, bob]) expect(await lines(p, 'errors')).toEqual([]);
  });

  it("four-room notify with jQuery's $.post from the page's own origin", async () => {
    const rooms = ['n1', 'n2', 'n3', 'n4'];
    const single = await Promise.all(rooms.map((r, i) => open('v2.html', { room: r, userid: `p${i}`, username: `p${i}` })));
    const all = await open('v2.html', { room: rooms.join(','), userid: 'all', username: 'all' });
    await Promise.all([...single, all].map(connected));
    await all.evaluate((ids) => (window as unknown as PageWindow).notify(ids, 'four rooms'), rooms.join(','));
    await all.waitForFunction(() => document.getElementById('notify-result')!.textContent === 'message notify successed!', undefined, { timeout: 20_000 });
    for (const [i, p] of single.entries()) expect(await waitLines(p, 1)).toEqual([`${rooms[i]} four rooms`]);
    expect((await waitLines(all, 4)).sort()).toEqual(rooms.map((r) => `${r} four rooms`));
  });

  it('watch_quit: closing a v2 page tells the room; refreshPage reloads a v2 page', async () => {
    const stays = await open('v2.html', { room: 'q', userid: 's', username: 'stays' });
    // On websocket, closing the tab ends the connection at once; a page still on long-polling is
    // only known gone at the ping timeout (45 s), as with the original server.
    const leaves = await open('v2.html', { room: 'q', userid: 'l', username: 'spring', watch_quit: '1', transport: 'websocket' });
    await Promise.all([stays, leaves].map(connected));
    expect(await transportOf(leaves)).toBe('websocket');
    await leaves.close();
    expect(await waitLines(stays, 1)).toEqual(['q {"username":"spring","key":"user_quit","msg":"spring退出群聊"}']);

    const res = await fetch(`${relay.url}/api/refresh`, {
      method: 'POST',
      headers: { authorization: 'Bearer legacy-pages-admin-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'demo', room_id: 'q' }),
    });
    expect(res.status).toBe(200);
    await stays.waitForFunction(() => document.getElementById('loads')!.textContent === '2', undefined, { timeout: 20_000 });
    await connected(stays);
  });

  it.each([['polling'], ['websocket']])('a refused v2 page (%s) gets "sign verify failed!" in its sys_error_callback, and nothing else', async (transport) => {
    const member = await open('v2.html', { room: 'locked', userid: 'm', username: 'member', transport });
    await connected(member);
    const refused = await open('v2-bad.html', { room: 'locked', userid: 'x', username: 'intruder', transport });
    expect(await waitLines(refused, 1, 'errors')).toEqual(['sign verify failed!']);
    // Let go by the server: socket.io-client 2 does not reconnect after a server disconnect.
    await refused.waitForFunction(() => (window as unknown as { v2socket: { connected: boolean } }).v2socket.connected === false, undefined, { timeout: 20_000 });
    await member.evaluate(() => (window as unknown as PageWindow).XIN_NODE.send_msg('members only', 'locked'));
    expect(await waitLines(member, 1)).toEqual(['locked members only']);
    expect(await lines(refused)).toEqual([]);
    expect(await lines(refused, 'errors')).toEqual(['sign verify failed!']);
  });

  it("the original hook's console.log: a log row in /debug, and exactly as sent in im-debug tail --json", async () => {
    const tail = runImDebug(['tail', '--server', relay.url, '--room', 'console-log', '--json']);
    try {
      await tail.stderrLine(/^im-debug: following /, 20_000);
      const debug = await browser.newPage();
      opened.push(debug);
      await openDebugPage(debug, relay.url);
      const hooked = await open('hooked.html', {});
      await connected(hooked);
      await hooked.evaluate(() => console.log('clicked', { id: 7 }, 3));
      const [row] = await waitForRows(debug, 1);
      expect(row).toMatchObject({ level: 'log', method: 'log' });
      expect(row!.message).toMatch(/^original hook · remote_debug clicked/);
      expect(row!.message).toContain('id: 7');
      expect(row!.message).not.toContain('"0"');
      const [json] = await tail.stdoutLines(1, 20_000);
      const m = JSON.parse(json!) as Message;
      expect(m).toMatchObject({ source: 'remote_debug', room_id: 'console-log', data: { 0: 'clicked', 1: { id: 7 }, 2: 3 } });
      expect(Object.keys(m.data as object)).toEqual(['0', '1', '2']);

      // A message that is not an arguments object stays a plain row.
      const plain = signedNotify('console-log', JSON.stringify({ 0: 'a', note: 'not arguments' }), 'remote_debug');
      expect((await postForm(relay.url, plain)).body.code).toBe(1);
      const rows = await waitForRows(debug, 2);
      expect(rows[1]).toMatchObject({ level: 'log', method: 'message' });
      expect(rows[1]!.message).toContain('not arguments');
    } finally {
      await tail.stop();
    }
  }, 60_000);
});
