import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asLogEntry, type LogEntry } from '../../packages/protocol';
import { publishToken } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import type { TestBrowser } from '../helpers/browser';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { startHookBench, type HookBench } from '../helpers/console-app';
import { requireChromium } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { collectMessages } from '../helpers/wait-for';
import { SEED_SIGN, type AppServer } from './remote-debug-fixtures';

// Installing the hook: from its script tag's attributes (a publish token, levels, session) or by
// hand with install(), and uninstalling it.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug in Chromium: installing the hook', () => {
  let bench: HookBench;
  let server: TestServer, app: AppServer, APP: string, browser: TestBrowser, reader: TestSocket;
  beforeAll(async () => void ({ server, app, APP, browser, reader } = bench = await startHookBench()));
  afterAll(() => bench?.close());

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
});
