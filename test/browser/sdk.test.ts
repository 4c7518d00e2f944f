import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { legacyConnectSign, operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { PROJECT_ROOT } from '../../server/create-server';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { postForm, signedNotify } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import { startSite, type TestSite } from '../helpers/site';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { holdHandshakes } from '../helpers/hold-handshakes';
import { seedDisplayPage } from './remote-debug-fixtures';

const enabled = requireChromium();
const KEY = DEMO_SOURCES.demo.signKey;
const BUNDLES = ['node_im.min.js', 'md5.js'].map((f) => path.join(PROJECT_ROOT, 'dist/browser', f));
const JQUERY = path.join(PROJECT_ROOT, 'node_modules/jquery/dist/jquery.min.js');

/**
 * A second origin: the site whose pages use the SDK. It hosts its own copies of js/md5.js and
 * js/node_im.min.js (the seed's pages load them relative to the page), jQuery, and the HTML
 * each test serves with `servePage`.
 */
let site: TestSite;

let relay: TestServer;
let browser: TestBrowser;
const opened: Page[] = [];
const extraServers: TestServer[] = [];

beforeAll(async () => {
  if (!enabled) return;
  for (const file of BUNDLES) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build the bundles first with \`npx rollup -c\` (npm test does)`);
  }
  if (!existsSync(JQUERY)) throw new Error(`${JQUERY} is missing: run npm ci (jquery is a devDependency)`);
  relay = await startServer();
  // localhost vs the relay's 127.0.0.1: another origin, both loopback.
  site = await startSite({ '/js/node_im.min.js': BUNDLES[0]!, '/js/md5.js': BUNDLES[1]!, '/jquery.min.js': JQUERY });
  browser = await launchBrowser();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  await Promise.all(extraServers.splice(0).map((s) => s.close()));
});

afterAll(() => closeAll(browser, site, relay));

interface OpenPage {
  page: Page;
  /** Values the page passed to console.log, as JSON. */
  logs: unknown[];
  /** Uncaught errors in the page. */
  errors: string[];
  /** Resolves with the first console.log value that matches. */
  logged(match: (value: unknown) => boolean, ms?: number): Promise<unknown>;
}

async function open(url: string): Promise<OpenPage> {
  const page = await browser.newPage();
  opened.push(page);
  const logs: unknown[] = [];
  const errors: string[] = [];
  const waiters: Array<{ match: (v: unknown) => boolean; resolve: (v: unknown) => void }> = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() !== 'log') return;
    void m.args()[0]?.jsonValue().then(
      (value: unknown) => {
        logs.push(value);
        for (const w of waiters.filter((w) => w.match(value))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(value);
        }
      },
      () => undefined,
    );
  });
  await page.goto(url);
  return {
    page,
    logs,
    errors,
    logged(match, ms = 10_000) {
      const seen = logs.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching console.log after ${ms} ms; got ${JSON.stringify(logs)}`)), ms);
        waiters.push({ match, resolve: (v) => (clearTimeout(timer), resolve(v)) });
      });
    },
  };
}

function servePage(name: string, html: string): string {
  site.set(`/${name}`, html);
  return `${site.url}/${name}`;
}

/** Resolves once the server holds a connection of `userid` (the seed's snippets have no connected callback). */
function connectedOn(server: TestServer, userid: string, count = 1) {
  return until(
    () => [...server.io.of('/').sockets.values()].filter((s) => s.data.userid === userid).length >= count,
    10_000,
    `a connection of user ${userid}`,
  );
}

/** A page of the site that uses XIN_NODE and records what it gets in window.t (for tests that need more than the seed's snippets). */
function sdkPage(name: string, server: TestServer, userid: string, rooms: string, config = '', sign = legacyConnectSign('demo', rooms, KEY)) {
  const url = `${server.url}?userid=${userid}&username=user${userid}&source=demo&room_ids=${encodeURIComponent(rooms)}&sign=${sign}&ext_info=`;
  return servePage(
    name,
    `<!doctype html><meta charset="utf-8"><title>${name}</title>
<script src="js/md5.js"></script>
<script src="js/node_im.min.js"></script>
<script>
window.t = { received: [], errors: [], attempts: [], connects: 0, failed: 0, disconnects: 0 };
window.started = XIN_NODE.init(${JSON.stringify(url)}, {
  receive_message_callback: function (m) { t.received.push(m.data); },
  connected_callback: function (socket) { t.connects++; t.socketId = socket.id; },
  sys_error_callback: function (err, detail) { t.errors.push([err, detail && detail.code, detail && detail.kind]); },
  disconnect_callback: function () { t.disconnects++; },
  reconnecting_callback: function (n) { t.attempts.push(n); },
  reconnect_attempt_failed_callback: function () { t.failed++; },
  client_info: false, page_views: false${config}
});
</script>`,
  );
}

type T = {
  received: unknown[];
  errors: Array<[string, string, string]>;
  attempts: number[];
  connects: number;
  failed: number;
  disconnects: number;
};
const t = (page: Page) => page.evaluate(() => (window as unknown as { t: T }).t);
const waitT = (page: Page, check: string, ms = 10_000) => page.waitForFunction(`(function (t) { return ${check}; })(window.t)`, undefined, { timeout: ms });
const state = (page: Page) => page.evaluate(() => (window as unknown as { XIN_NODE: { state(): string } }).XIN_NODE.state());

describe.runIf(enabled)('browser SDK in real Chromium', () => {
  it('serves md5.js and node_im.min.js with script type and cache headers; one object under both names', async () => {
    for (const name of ['md5.js', 'node_im.min.js']) {
      const res = await fetch(`${relay.url}/js/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('etag')).toBeTruthy();
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    }
    const p = await open(sdkPage('names.html', relay, '7', 'names_room'));
    await waitT(p.page, 't.connects === 1');
    const facts = await p.page.evaluate(() => {
      const w = window as unknown as { XIN_NODE: { init(u: string, c: object): boolean }; NODE_IM: unknown; started: boolean };
      return { same: w.XIN_NODE === w.NODE_IM, first: w.started, again: w.XIN_NODE.init(location.href, {}) };
    });
    expect(facts).toEqual({ same: true, first: true, again: false });
    expect(p.errors).toEqual([]);
  });

  it('md5.js in the browser agrees with node:crypto (ASCII, Chinese, emoji, long text)', async () => {
    const p = await open(servePage('md5.html', '<!doctype html><meta charset="utf-8"><script src="js/md5.js"></script>'));
    const inputs = ['', 'demoroom1try4dfs%#fs!#$2334ds(%B)', '退出群聊', '😀🎉 emoji', 'x'.repeat(100_000), '\ud800 lone'];
    const hashes = await p.page.evaluate((list) => list.map((s) => (window as unknown as { md5(s: string): string }).md5(s)), inputs);
    expect(hashes).toEqual(inputs.map((s) => createHash('md5').update(s, 'utf8').digest('hex')));
  });

  it("the seed's front-end snippets, verbatim, receive a back end's notify", async () => {
    // The seed's step 2 URL (host, port, source and its sign differ: the seed's xxx_system key is unknown).
    const rooms = 'receive_repeat_verify_1305,wait_repeat_verify_list';
    const socket_server_url = `${relay.url}?userid=1305&username=spring&source=demo&room_ids=receive_repeat_verify_1305%2Cwait_repeat_verify_list&sign=${legacyConnectSign('demo', rooms, KEY)}&ext_info=`;
    const p = await open(
      servePage(
        'seed-receive.html',
        `<!doctype html>
<script src="js/md5.js"></script>
<script src="js/node_im.min.js"></script>
<script>
var socket_server_url = "${socket_server_url}";
         var node_callback_config = {
                 'receive_message_callback': function(message){
                        console.log(message);
                 }
         };
         XIN_NODE.init(socket_server_url, node_callback_config);
</script>`,
      ),
    );
    await connectedOn(relay, '1305');
    const data = '{"factory_count":47,"cover_city_count":14}';
    expect((await postForm(relay.url, signedNotify('wait_repeat_verify_list', data))).body.code).toBe(1);
    const message = await p.logged((v) => (v as { data?: unknown })?.data === data);
    expect(message).toMatchObject({ source: 'demo', data, room_id: 'wait_repeat_verify_list' });
    expect(p.errors).toEqual([]);
  });

  it("the seed's remote-debug display page, verbatim (jQuery served locally), shows each message", async () => {
    const p = await open(servePage('seed-display.html', seedDisplayPage(relay.url, '/jquery.min.js')));
    await connectedOn(relay, '0000');
    const res = await postForm(relay.url, signedNotify('console-log', '{"width":1280,"height":720}', 'remote_debug'));
    expect(res.body.code).toBe(1);
    await p.page.waitForFunction(() => document.querySelectorAll('#messages li').length === 1);
    const shown = JSON.parse(await p.page.locator('#messages li').first().innerText());
    expect(shown).toMatchObject({ source: 'remote_debug', room_id: 'console-log', data: '{"width":1280,"height":720}' });
  });

  it("the seed's jQuery $.post demo, cross-origin, reaches another page", async () => {
    const receiver = await open(sdkPage('room3.html', relay, '33', 'room3'));
    await waitT(receiver.page, 't.connects === 1');
    const poster = await open(
      servePage(
        'seed-post.html',
        `<!doctype html>
<script src="js/md5.js"></script>
<script src="/jquery.min.js"></script>
<script>
var source = "demo";
var sign_key = "try4dfs%#fs!#$2334ds(%B)";
var room_ids = "room1,room2,room3,room4";
var api_url = "${relay.url}/api/notify";
var send_data = "test";
var send_sign = md5(source + room_ids + send_data + sign_key);
//推送的消息
var message = {
"source":source,
"data":send_data,
"sign":send_sign,
"room_id":room_ids
};
$.post(api_url,message,function(res){
console.log(res);
},"json");
</script>`,
      ),
    );
    expect(new URL(site.url).origin).not.toBe(new URL(relay.url).origin);
    expect(await poster.logged((v) => typeof v === 'object' && v !== null && 'code' in v)).toEqual({
      code: 1,
      msg: 'message notify successed!',
      data: '',
    });
    await waitT(receiver.page, 't.received.length === 1');
    expect((await t(receiver.page)).received).toEqual(['test']);
    expect(poster.errors).toEqual([]);
  });

  it('two pages chat through a room (examples/chat.html), and a leaving user is announced', async () => {
    const join = async (name: string) => {
      const p = await open(`${relay.url}/examples/chat.html`);
      await p.page.fill('#join input[name=username]', name);
      await p.page.fill('#join input[name=room]', 'chat_test');
      await p.page.click('#join button');
      await p.page.waitForSelector('#status.connected');
      return p;
    };
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.page.fill('#say input[name=text]', 'hello from alice');
    await alice.page.press('#say input[name=text]', 'Enter');
    await bob.page.waitForSelector('#messages li:has-text("alice: hello from alice")');
    await bob.page.fill('#say input[name=text]', '你好 alice 👋');
    await bob.page.click('#say button');
    await alice.page.waitForSelector('#messages li:has-text("bob: 你好 alice 👋")');
    expect(await alice.page.locator('#messages li.me').allInnerTexts()).toEqual(['alice: hello from alice']);
    await alice.page.close();
    await bob.page.waitForSelector('#messages li.sys:has-text("alice退出群聊")');
    expect(alice.errors.concat(bob.errors)).toEqual([]);
  });

  it('examples/dashboard.html shows what /api/notify pushes', async () => {
    const p = await open(`${relay.url}/examples/dashboard.html`);
    await p.page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');
    await postForm(relay.url, signedNotify('dashboard', '{"factory_count":47,"cover_city_count":14}'));
    await p.page.waitForSelector('.card:has-text("factory_count") .value:text-is("47")');
    await postForm(relay.url, signedNotify('dashboard', '{"factory_count":48}'));
    await p.page.waitForSelector('.card:has-text("factory_count") .value:text-is("48")');
    expect(await p.page.locator('.card:has-text("cover_city_count") .value').innerText()).toBe('14');
    expect(p.errors).toEqual([]);
  });

  it('examples/refresh.html reloads when the back end calls the signed /api/refresh', async () => {
    const p = await open(`${relay.url}/examples/refresh.html`);
    const waiting = () => p.page.waitForFunction(() => document.getElementById('status')?.textContent === 'waiting for a refresh');
    await waiting();
    await p.page.evaluate(() => ((window as unknown as { beforeReload: boolean }).beforeReload = true));
    const reloaded = p.page.waitForEvent('load');
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await postForm(relay.url, { source: 'demo', room_id: 'refresh_demo', ts, sign: operatorSign(KEY, 'refresh', 'demo', 'refresh_demo', ts) }, '/api/refresh');
    expect(res.body.code).toBe(1);
    await reloaded;
    expect(await p.page.evaluate(() => (window as unknown as { beforeReload?: boolean }).beforeReload)).toBeUndefined();
    await waiting();
  });

  it('a bad sign or a missing parameter reaches sys_error_callback with the server message, and is not retried', async () => {
    const p = await open(sdkPage('bad-sign.html', relay, '44', 'room1', ", reconnection_delay: 10", 'f'.repeat(32)));
    await waitT(p.page, 't.errors.length === 1');
    expect((await t(p.page)).errors).toEqual([['sign verify failed!', 'BAD_SIGN', 'handshake']]);
    expect(await state(p.page)).toBe('closed');
    // Nothing left that could retry: the engine connection is closed.
    expect(await p.page.evaluate(() => (window as unknown as { XIN_NODE: { socket: { io: { engine: { readyState: string } } } } }).XIN_NODE.socket.io.engine.readyState)).toBe('closed');
    expect((await t(p.page)).attempts).toEqual([]);

    // The session is closed, so init may be called again: here without a sign.
    const again = await p.page.evaluate((base) => {
      const w = window as unknown as { XIN_NODE: { init(u: string, c: object): boolean }; t: T };
      return w.XIN_NODE.init(`${base}?userid=44&username=x&source=demo&room_ids=room1&ext_info=`, {
        sys_error_callback: (err: string, d: { code: string; kind: string }) => w.t.errors.push([err, d.code, d.kind]),
      });
    }, relay.url);
    expect(again).toBe(true);
    await waitT(p.page, 't.errors.length === 2');
    expect((await t(p.page)).errors[1]).toEqual(['cilent connect sign can not be null!', 'SIGN_REQUIRED', 'handshake']);
    // send_msg on a closed session reports through sys_error_callback (the original alert()ed).
    await p.page.evaluate(() => (window as unknown as { XIN_NODE: { send_msg(d: unknown, r: string): boolean } }).XIN_NODE.send_msg('x', 'room1'));
    expect((await t(p.page)).errors).toHaveLength(3);
    expect(p.errors).toEqual([]);
  });

  it('with the server stopped, reconnect_attempt_failed_callback runs after max_attemptNumber attempts', async () => {
    const server = await startServer();
    extraServers.push(server);
    const p = await open(sdkPage('give-up.html', server, '55', 'room1', ', max_attemptNumber: 3, reconnection_delay: 50, reconnection_delay_max: 100'));
    await waitT(p.page, 't.connects === 1');
    await server.close();
    await waitT(p.page, 't.failed === 1');
    const seen = await t(p.page);
    expect(seen.attempts).toEqual([1, 2, 3]);
    expect(seen.disconnects).toBe(1);
    expect(await state(p.page)).toBe('closed');
  });

  it('messages sent during a brief reconnect arrive in order, and missed pushes are fetched', async () => {
    // No session recovery: the reconnect is a new session, as after an instance crash.
    const server = await startServer();
    extraServers.push(server);
    const hold = holdHandshakes(server);
    const config = ', reconnection_delay: 50, reconnection_delay_max: 100';
    const a = await open(sdkPage('reconnect-a.html', server, '61', 'order_room', config));
    const b = await open(sdkPage('reconnect-b.html', server, '62', 'order_room', config));
    await waitT(a.page, 't.connects === 1');
    await waitT(b.page, 't.connects === 1');

    // Cut both pages' connections (as a network drop does) and keep them out for a moment.
    hold.on = true;
    for (const socket of server.io.of('/').sockets.values()) socket.conn.close();
    await waitT(a.page, 't.disconnects === 1');
    await waitT(b.page, 't.disconnects === 1');
    const accepted = await a.page.evaluate(() =>
      [1, 2, 3, 4, 5].map((n) => (window as unknown as { XIN_NODE: { send_msg(d: unknown, r: string): boolean } }).XIN_NODE.send_msg(n, 'order_room')),
    );
    expect(accepted).toEqual([true, true, true, true, true]);
    for (const n of ['push 1', 'push 2']) expect((await postForm(server.url, signedNotify('order_room', n))).body.code).toBe(1);
    // At least: a page whose held attempt timed out under load tries again, adding one more.
    await until(() => hold.waiting() >= 2, 10_000, 'both pages trying to reconnect');
    hold.release();

    const expected = ['push 1', 'push 2', 1, 2, 3, 4, 5];
    await waitT(b.page, `t.received.length >= ${expected.length}`);
    await waitT(a.page, `t.received.length >= ${expected.length}`);
    expect((await t(b.page)).received).toEqual(expected);
    expect((await t(a.page)).received).toEqual(expected);
    expect((await t(a.page)).errors).toEqual([]);
  });
});
