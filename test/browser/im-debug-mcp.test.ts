import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { startMcp, textOf, type McpSession } from '../helpers/mcp-client';
import { requireChromium } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { HOOK_BUNDLE, requireBundles, startAppServer, type AppServer } from './remote-debug-fixtures';

/**
 * A coding agent's view of a real page: Chromium loads a page with the hook's one script tag,
 * `im-debug mcp` (spawned, driven by the SDK's Client over stdio) reads the debug room.
 */

const hasChromium = requireChromium();

const APP_JS = `(function () {
  console.info('app ready', { build: 42 });
  console.error('checkout failed', new Error('card declined', { cause: new TypeError('bad number') }));
  fetch('/api/missing').catch(function () {});
  setTimeout(function () { throw new Error('uncaught boom'); }, 0);
  window.clickMe = function (n) { console.warn('clicked ' + n); };
})();
`;

type Structured = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sc = (r: { structuredContent?: unknown }) => r.structuredContent as Structured;

describe.skipIf(!hasChromium)('im-debug mcp with a hooked Chromium page', () => {
  let server: TestServer;
  let app: AppServer;
  let browser: TestBrowser;
  let page: Page;
  let mcp: McpSession;

  beforeAll(async () => {
    requireBundles(HOOK_BUNDLE);
    server = await startServer();
    app = await startAppServer({
      '/page.html': [
        'text/html',
        `<!doctype html><html><head><title>Shop page</title><script src="${server.url}/js/node_im_remote_debug.js"></script></head><body><script src="/app.js"></script></body></html>`,
      ],
      '/app.js': ['text/javascript', APP_JS],
    });
    browser = await launchBrowser();
    mcp = await startMcp(['--server', server.url, '--room', 'console-log', '--progress-every', '0.5']);
    page = await browser.newPage();
    await page.goto(`${app.url}/page.html`);
  });

  afterAll(() => closeAll(mcp, browser, app, server));

  it("sees the page's session, its console, its uncaught error and its failed request", async () => {
    // after_id 0: entries the page sent before this call count too.
    const boom = await mcp.call('wait_for_log', { pattern: 'uncaught boom', after_id: 0, timeout_seconds: 60 });
    expect(sc(boom).entry, textOf(boom)).toMatchObject({ kind: 'error', level: 'error', method: 'onerror', page_url: `${app.url}/page.html` });
    expect(sc(boom).entry.call_site).toMatch(/app\.js:5:\d+/);

    const sessions = sc(await mcp.call('list_sessions'));
    expect(sessions.total).toBe(1);
    const s = sessions.sessions[0];
    expect(s).toMatchObject({ origin: 'browser', page_url: `${app.url}/page.html`, page_title: 'Shop page', rooms: ['console-log'] });
    expect(s.user_agent).toMatch(/Chrome/);
    expect(s.counts.info).toBeGreaterThanOrEqual(1);
    expect(s.counts.error).toBeGreaterThanOrEqual(2);

    const all = sc(await mcp.call('recent_logs'));
    const texts = all.entries.map((e: Structured) => `${e.kind} ${e.level} ${e.text}`);
    expect(texts).toContain('console info app ready { build: 42 }');
    expect(texts).toContain('console error checkout failed Error: card declined');

    const errors = sc(await mcp.call('recent_logs', { kind: 'error', session: s.session.slice(0, 8) }));
    expect(errors.entries.map((e: Structured) => e.text)).toEqual(['Uncaught Error: uncaught boom']);

    const net = await mcp.call('wait_for_log', { kind: 'network', pattern: '/api/missing', after_id: 0, timeout_seconds: 60 });
    expect(sc(net).entry, textOf(net)).toMatchObject({ kind: 'network', level: 'warn', method: 'GET' });
    expect(sc(net).entry.text).toMatch(/^GET 404 \S*\/api\/missing/);
  });

  it('get_entry expands an Error argument with its stack and cause', async () => {
    const found = sc(await mcp.call('recent_logs', { text: 'checkout failed' })).entries;
    expect(found).toHaveLength(1);
    const d = sc(await mcp.call('get_entry', { id: found[0].id })).entry;
    const expanded = d.args_expanded.join('\n');
    expect(expanded).toMatch(/Error: card declined/);
    expect(expanded).toMatch(/at .*app\.js:3:\d+/);
    expect(expanded).toMatch(/\[cause\]: TypeError: bad number/);
    expect(d.user_agent).toMatch(/Chrome/);
    expect(d.page_title).toBe('Shop page');
  });

  it('wait_for_log gets what the page logs while it waits (a click, then a reload)', async () => {
    const session = sc(await mcp.call('list_sessions')).sessions[0].session as string;
    let progressed!: () => void;
    const waitingNow = new Promise<void>((resolve) => (progressed = resolve));
    const waiting = mcp.call('wait_for_log', { pattern: 'clicked 7', session, timeout_seconds: 60 }, { onprogress: () => progressed() });
    await waitingNow;
    await page.evaluate(() => (window as unknown as { clickMe(n: number): void }).clickMe(7));
    const r = await waiting;
    expect(sc(r)).toMatchObject({ matched: true, entry: { level: 'warn', text: 'clicked 7', session, via: 'live' } });

    // "Reload the page and tell me what it logs": the tab keeps its session across the reload.
    let again!: () => void;
    const waitingAgain = new Promise<void>((resolve) => (again = resolve));
    const reloaded = mcp.call('wait_for_log', { pattern: 'app ready', session, timeout_seconds: 60 }, { onprogress: () => again() });
    await waitingAgain;
    await page.reload();
    const ready = await reloaded;
    expect(sc(ready).entry, textOf(ready)).toMatchObject({ level: 'info', text: 'app ready { build: 42 }', session });
  });
});
