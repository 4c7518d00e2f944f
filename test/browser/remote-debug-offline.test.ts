import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asLogEntry } from '../../packages/protocol';
import { DEMO_SOURCES, demoConfigInput } from '../../server/config';
import { createServer, type ImRelayServer } from '../../server/create-server';
import { launchBrowser, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { requireChromium } from '../helpers/requirements';
import { startServer } from '../helpers/start-server';
import { HOOK_BUNDLE, VIEWER_BUNDLE, freePort, openDebugPage, requireBundles, startAppServer, waitForRows, type AppServer } from './remote-debug-fixtures';

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug: buffering in the page (server not up yet, rate limits)', () => {
  let browser: TestBrowser;
  let app: AppServer;
  let relay: ImRelayServer | undefined;

  beforeAll(async () => {
    requireBundles(HOOK_BUNDLE, VIEWER_BUNDLE);
    browser = await launchBrowser();
    app = await startAppServer();
  });
  afterAll(() => closeAll(browser, app, relay));

  it('buffers while the relay is down, then delivers everything in order once it starts; overflow is counted', async () => {
    const port = await freePort();
    const relayUrl = `http://127.0.0.1:${port}`;
    // The hook comes from the customer's own server (the relay is not up to serve it) and is
    // told where the relay will be. A small buffer, to see overflow reported.
    app.set(
      '/early.html',
      'text/html',
      `<!doctype html><title>early</title>
<script src="/js/node_im_remote_debug.js" data-server="${relayUrl}" data-buffer-size="5" data-session="early-tab" data-network="off" data-performance="off"></script>
<script>
for (var i = 1; i <= 7; i++) console.log('early', i);
console.error(new Error('early failure'));
</script>`,
    );
    const page = await browser.newPage();
    const offline = page.waitForEvent('console', (c) => c.text().includes('is not reachable yet'));
    await page.goto(`${app.url}/early.html`);
    // The hook tried, failed, and kept the entries (the page went on: this evaluate runs).
    await offline;
    const before = await page.evaluate(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status());
    expect(before).toMatchObject({ connected: false, sent: 0, buffered: 5, recorded: 8, dropped: 3 });

    // Now the relay starts on that port.
    relay = createServer({
      config: { ...demoConfigInput(), demo: false, logDir: mkdtempSync(path.join(tmpdir(), 'im-logs-')) },
      logger: pino({ level: 'silent' }),
    });
    await relay.listen(port, '127.0.0.1');

    // The hook reconnects on its own and sends what it kept; a viewer sees it from room history.
    await page.waitForFunction(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status().sent === 5, undefined, { timeout: 20_000 });
    const history = await relay.relay.history('remote_debug', { room_id: 'console-log' });
    const entries = history.messages.map((m) => asLogEntry(m.data)!);
    expect(entries.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(entries.map((e) => e.args[0])).toEqual(['early', 'early', 'early', 'early', expect.objectContaining({ $t: 'Error', message: 'early failure' })]);
    // The first entry after the gap says how many were lost.
    expect(entries[0]!.dropped).toBe(3);
    expect(entries.slice(1).every((e) => e.dropped === undefined)).toBe(true);
    expect(entries.every((e) => e.session === 'early-tab')).toBe(true);
    // Logged before the connection existed, still with the right call site.
    expect(entries[0]!.callSite).toMatchObject({ file: `${app.url}/early.html`, line: 4 });

    const debug = await browser.newPage();
    await openDebugPage(debug, relayUrl);
    const rows = await waitForRows(debug, 5);
    expect(rows.map((r) => r.level)).toEqual(['log', 'log', 'log', 'log', 'error']);
    expect(rows[0]!.dropped).toBe("⚠ 3 earlier entries were lost (the page's buffer was full)");
    expect(rows[0]!.message).toBe('early 4');

    // Live again: a new entry follows directly.
    await page.evaluate(() => console.warn('after reconnect'));
    const more = await waitForRows(debug, 6);
    expect(more[5]).toMatchObject({ level: 'warn', message: 'after reconnect' });
  });

  it('a RATE_LIMITED answer keeps the entries buffered and they go later, all of them, in order', async () => {
    const limited = await startServer({
      sources: {
        remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'], maxEntriesPerSecond: 40 } },
      },
    });
    try {
      app.set(
        '/burst.html',
        'text/html',
        `<script src="/js/node_im_remote_debug.js" data-server="${limited.url}" data-network="off" data-performance="off"></script>
<script>for (var i = 1; i <= 150; i++) console.log('burst', i);</script>`,
      );
      const page = await browser.newPage();
      await page.goto(`${app.url}/burst.html`);
      await page.waitForFunction(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status().sent === 150, undefined, { timeout: 20_000 });
      const status = await page.evaluate(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status());
      expect(status).toMatchObject({ dropped: 0, buffered: 0 });
      // The server did push back (40/s, burst 100), and nothing was lost for it.
      expect(status.rateLimited).toBeGreaterThan(0);
      const history = await limited.relay.history('remote_debug', { room_id: 'console-log', limit: 500 });
      expect(history.messages.map((m) => asLogEntry(m.data)!.args[1])).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      await page.close();
    } finally {
      await limited.close();
    }
  });
});
