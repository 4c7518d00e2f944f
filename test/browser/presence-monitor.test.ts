import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult } from '../../packages/protocol';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { REDIS_URL, requireChromium, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { dropPrefix } from '../helpers/cluster';

const enabled = requireChromium() && (await requireRedis());
const KEY = DEMO_SOURCES.demo.signKey;
const ADMIN = 'admin-key-for-the-monitor-test-01';
const PREFIX = `test-p7m-${randomUUID().slice(0, 8)}`;
const CONFIG = {
  adminKey: ADMIN,
  adapter: { type: 'redis', url: REDIS_URL, prefix: PREFIX },
  presence: { heartbeatMs: 200, expiryMs: 1000 },
};
/** A username that would run script if the page ever put it into innerHTML (no spaces: the query string keeps a '+' as is). */
const EVIL = '<img/src=x/onerror=window.pwned=1>';

let a: TestServer;
let b: TestServer;
let browser: TestBrowser;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  if (!enabled) return;
  a = await startServer(CONFIG as never);
  b = await startServer(CONFIG as never);
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await browser?.close();
  await Promise.all([a?.close(), b?.close()]);
  if (!enabled) return;
  await dropPrefix(REDIS_URL, PREFIX);
});

async function user(base: string, userid: string, username: string, source = 'demo'): Promise<TestSocket> {
  const s = await connectClient(base, { userid, username, roomIds: 'lobby', source });
  sockets.push(s);
  return s;
}

function signedMonitorUrl(base: string, source = 'demo', action = 'monitor'): string {
  const ts = String(Math.floor(Date.now() / 1000));
  return `${base}/monitor?source=${source}&ts=${ts}&sign=${operatorSign(KEY, action, source, '', ts)}`;
}

const rows = (page: Page) =>
  page.$$eval('#online tbody tr', (trs) =>
    trs.map((tr) => ({
      userid: (tr as HTMLElement).dataset.userid,
      name: tr.querySelector('.username')?.textContent,
      connections: tr.querySelector('.connections')?.textContent,
      page: tr.querySelector('.url')?.textContent ?? null,
    })),
  );

describe.runIf(enabled)('the /monitor page', () => {
  it('shows the online list and page views live, from every instance, with every text escaped', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await user(b.url, 'early', 'Early Bird');
    await page.goto(signedMonitorUrl(a.url));
    await page.waitForSelector('#status.live');
    await page.waitForSelector('#online tr[data-userid="early"]');

    const evil = await user(b.url, 'x1', EVIL);
    await user(a.url, 'x1', EVIL);
    await page.waitForFunction(() => document.querySelector('#online tr[data-userid="x1"] .connections')?.textContent === '2');
    const ack = await new Promise<AckResult>((resolve) =>
      evil.emit('pageView', { url: 'https://spa.test/#/<script>alert(1)</script>', title: '<b>bold</b>', nav: 'push' }, resolve),
    );
    expect(ack).toEqual({ ok: true });
    await page.waitForFunction(() => (document.querySelector('#views')?.textContent ?? '').includes('<b>bold</b>'));

    const x1 = (await rows(page)).find((r) => r.userid === 'x1')!;
    expect(x1).toEqual({ userid: 'x1', name: EVIL, connections: '2', page: 'https://spa.test/#/<script>alert(1)</script>' });
    expect(await page.$$eval('#online img, #views img, #views b b, #online script', (n) => n.length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.textContent('#count-users')).toBe('2');
    expect(await page.textContent('#count-connections')).toBe('3');

    // Another source's users never reach this monitor.
    await user(a.url, 'stranger', 'Stranger', 'remote_debug');
    evil.close();
    await page.waitForFunction(() => document.querySelector('#online tr[data-userid="x1"] .connections')?.textContent === '1');
    expect((await rows(page)).map((r) => r.userid).sort()).toEqual(['early', 'x1']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses a wrong sign and never asks for the sign_key', async () => {
    const page = await browser.newPage();
    await page.goto(signedMonitorUrl(a.url, 'demo', 'online'));
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/refused: sign verify failed/);
    expect(await page.$$eval('#online tbody tr', (n) => n.length)).toBe(0);
    const fields = await page.$$eval('input', (inputs) => inputs.map((i) => (i as HTMLInputElement).name).filter(Boolean));
    expect(fields.sort()).toEqual(['admin_key', 'sign', 'source', 'ts']);
    await page.close();
  });

  it('opens with the admin key from the fragment, sent as a header and dropped from the address', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(`${r.url()} ${r.headers().authorization ?? ''}`));
    await page.goto(`${b.url}/monitor?source=demo#admin_key=${ADMIN}`);
    await page.waitForSelector('#status.live');
    await page.waitForSelector('#online tr[data-userid="early"]');
    expect(page.url()).not.toContain(ADMIN);
    const stream = requested.find((r) => r.includes('/api/presence/stream'))!;
    expect(stream).toContain(`Bearer ${ADMIN}`);
    expect(stream.split(' ')[0]).not.toContain(ADMIN);
    await page.close();
  });
});
