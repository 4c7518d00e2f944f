import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteLogger } from '../../packages/log-client';
import { asLogEntry, type Message } from '../../packages/protocol';
import { DEMO_SOURCES } from '../../server/config';
import type { Page } from '../helpers/browser';
import { TOTAL, startHookBench, type HookBench } from '../helpers/console-app';
import { signedNotify, postForm } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { openDebugPage, readDebugRows, waitForRows } from './remote-debug-fixtures';

// The /debug page: back-end entries beside browser ones, filters, follow, export, clear, and entry
// text never taken as markup. What the hook captures: remote-debug-console.test.ts.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug in Chromium: the /debug page', () => {
  let bench: HookBench;
  let server: TestServer;
  /** /debug on the room, showing the hooked page's entries and a plain notify ("probe"). */
  let debugPage: Page;

  beforeAll(async () => {
    ({ server } = bench = await startHookBench());
    debugPage = await bench.browser.newPage();
    await openDebugPage(debugPage, server.url);
    await (await bench.browser.newPage()).goto(`${bench.APP}/page.html`);
    await waitForRows(debugPage, TOTAL);
    await postForm(server.url, signedNotify('console-log', 'probe', 'remote_debug'));
    await waitForRows(debugPage, TOTAL + 1);
  });
  afterAll(() => bench?.close());

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
    // The plain notify of the set-up ("probe") shows too, as a plain message.
    const rows = await waitForRows(debugPage, before + 2);
    const node = rows.slice(-2);
    expect(node.map((r) => r.level)).toEqual(['warn', 'error']);
    expect(node[0]!.message).toBe('node · remote_debug queue is slow {depth: 12}');
    expect(node[1]!.message).toContain('Error: db down');
    expect(node[0]!.session).toBe('api-worker');
    expect(node[0]!.site).toMatch(/^remote-debug-viewer\.test\.ts:\d+:\d+$/);
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
});
