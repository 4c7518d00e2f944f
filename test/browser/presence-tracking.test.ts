import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnlineUser, PageViewRecord } from '../../packages/protocol';
import { legacyConnectSign, operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { PROJECT_ROOT } from '../../server/create-server';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { REDIS_URL, requireChromium, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { dropPrefix } from '../helpers/cluster';

const enabled = requireChromium() && (await requireRedis());
const KEY = DEMO_SOURCES.demo.signKey;
const PREFIX = `test-p7b-${randomUUID().slice(0, 8)}`;
const CONFIG = {
  adapter: { type: 'redis', url: REDIS_URL, prefix: PREFIX },
  presence: { heartbeatMs: 200, expiryMs: 1000 },
};
/** The app's origin: another origin than the relay server, as the contract's pages are. */
let APP = '';
/** The app's HTML for the next page opened (every path answers it, as a single-page app's server does). */
let appHtml = '';
let app: Server;

let a: TestServer;
let b: TestServer;
let browser: TestBrowser;

beforeAll(async () => {
  if (!enabled) return;
  const bundle = path.join(PROJECT_ROOT, 'dist/browser/node_im.min.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npx rollup -c\` (npm test builds it first)`);
  a = await startServer(CONFIG as never);
  b = await startServer(CONFIG as never);
  app = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(appHtml));
  await new Promise<void>((resolve) => app.listen(0, resolve));
  // localhost vs 127.0.0.1: a different origin, both loopback (Chromium refuses public -> loopback).
  APP = `http://localhost:${(app.address() as { port: number }).port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  app?.close();
  await Promise.all([a?.close(), b?.close()]);
  if (!enabled) return;
  await dropPrefix(REDIS_URL, PREFIX);
});

/** A single-page app on APP that includes the SDK from server A, written as the seed's pages are. */
async function openApp(userid: string, extraConfig = ''): Promise<Page> {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const rooms = 'spa_room';
  const connectUrl = `${a.url}?userid=${userid}&username=${userid}-name&source=demo&room_ids=${rooms}&sign=${legacyConnectSign('demo', rooms, KEY)}&ext_info=`;
  appHtml = `<!doctype html><html><head><title>Home</title></head><body>
<script src="${a.url}/js/node_im.min.js"></script>
<script>
  window.connected = false;
  XIN_NODE.init(${JSON.stringify(connectUrl)}, {
    connected_callback: function () { window.connected = true; },
    receive_message_callback: function (m) { (window.received = window.received || []).push(m.data); }${extraConfig}
  });
</script></body></html>`;
  await page.goto(`${APP}/shop/`, { referer: 'https://search.test/?q=shop' });
  await page.waitForFunction(() => (window as unknown as { connected: boolean }).connected === true, undefined, { timeout: 10_000 }).catch((err: Error) => {
    throw new Error(`the page did not connect: ${err.message}\n${logs.join('\n')}`);
  });
  return page;
}

async function readOut<T>(base: string, action: string, subject: string, query: Record<string, string>): Promise<T> {
  const ts = String(Math.floor(Date.now() / 1000));
  const q = new URLSearchParams({ source: 'demo', ...query, ts, sign: operatorSign(KEY, action, 'demo', subject, ts) });
  const res = await fetch(`${base}/api/${action}?${q}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: T }).data;
}

const pageViews = async (userid: string) =>
  (await readOut<{ list: PageViewRecord[] }>(b.url, 'pageviews', userid, { userid })).list;
const onlineUser = async (userid: string) =>
  (await readOut<{ list: OnlineUser[] }>(b.url, 'online', '', {})).list.find((u) => u.userid === userid);

/** Sends a chat message through the page's own socket and waits for it to come back: everything the page sent before has been handled. */
async function roundTrip(page: Page): Promise<void> {
  const marker = `m-${randomUUID()}`;
  await page.evaluate((m) => (window as unknown as { XIN_NODE: { send_msg(d: unknown, r: string): void } }).XIN_NODE.send_msg(m, 'spa_room'), marker);
  await page.waitForFunction((m) => ((window as unknown as { received?: unknown[] }).received ?? []).includes(m), marker);
}

describe.runIf(enabled)('page views and browser info from real Chromium', () => {
  it('reports the first load and every single-page-app navigation, read from another instance', async () => {
    const page = await openApp('spa-user');
    await page.evaluate(async () => {
      const wait = () => new Promise((r) => setTimeout(r, 0));
      document.title = 'Orders';
      history.pushState({ n: 1 }, '', '/shop/orders');
      history.replaceState({ n: 1 }, '', '/shop/orders?tab=paid');
      // Same URL again: a state update, not a navigation.
      history.replaceState({ n: 2 }, '', '/shop/orders?tab=paid');
      location.hash = '#row-7';
      await new Promise((r) => window.addEventListener('hashchange', r, { once: true }));
      document.title = 'Cart';
      history.pushState({ n: 3 }, '', '/shop/cart');
      history.back();
      await new Promise((r) => window.addEventListener('popstate', r, { once: true }));
      await wait();
    });
    const expected: Array<[string, string]> = [
      [`${APP}/shop/orders?tab=paid#row-7`, 'pop'],
      [`${APP}/shop/cart`, 'push'],
      [`${APP}/shop/orders?tab=paid#row-7`, 'hash'],
      [`${APP}/shop/orders?tab=paid`, 'replace'],
      [`${APP}/shop/orders`, 'push'],
      [`${APP}/shop/`, 'load'],
    ];
    await until(async () => (await pageViews('spa-user')).length >= expected.length, 10_000, 'six page views');
    const views = await pageViews('spa-user');
    expect(views.map((v) => [v.url, v.nav])).toEqual(expected);
    expect(views.find((v) => v.nav === 'load')).toMatchObject({ title: 'Home', referrer: 'https://search.test/?q=shop' });
    expect(views.find((v) => v.url.endsWith('/shop/cart'))!.title).toBe('Cart');

    const user = (await onlineUser('spa-user'))!;
    expect(user.page).toMatchObject({ url: `${APP}/shop/orders?tab=paid#row-7` });
    const client = user.client!;
    expect(client.url).toBe(`${APP}/shop/`);
    expect(client.userAgent).toMatch(/Chrome/);
    expect(client.language).toMatch(/^[a-z]{2}/i);
    expect(client.timeZone).toBeTruthy();
    expect(client.viewport!.width).toBeGreaterThan(0);
    expect(client.screen!.width).toBeGreaterThan(0);

    // Closing the session puts the page's own history methods back.
    const native = await page.evaluate(() => {
      (window as unknown as { XIN_NODE: { close(): void } }).XIN_NODE.close();
      return [history.pushState, history.replaceState].every((f) => /\[native code\]/.test(Function.prototype.toString.call(f)));
    });
    expect(native).toBe(true);
    await until(async () => (await onlineUser('spa-user')) === undefined, 10_000, 'spa-user offline');
    await page.close();
  });

  it('reports nothing when the page opts out', async () => {
    const page = await openApp('private-user', ', client_info: false, page_views: false');
    await page.evaluate(() => history.pushState({}, '', '/shop/secret'));
    await roundTrip(page);
    expect(await pageViews('private-user')).toEqual([]);
    const user = await onlineUser('private-user');
    expect(user).toMatchObject({ connections: 1 });
    expect(user!.client).toBeUndefined();
    expect(user!.page).toBeUndefined();
    await page.close();
  });
});
