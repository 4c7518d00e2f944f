import { beforeAll, describe, expect, it } from 'vitest';
import { operatorSign } from '../../packages/signing';
import { postForm, signedNotify } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import { KEY, useSdkPages } from '../helpers/sdk-pages';
import type { TestServer } from '../helpers/start-server';

// The example pages the relay serves (examples/*.html), driven in Chromium.

const enabled = requireChromium();
const sdk = useSdkPages(enabled);
const { open } = sdk;
let relay: TestServer;
beforeAll(() => {
  relay = sdk.relay;
});

describe.runIf(enabled)('browser SDK in real Chromium: the example pages', () => {
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
});
