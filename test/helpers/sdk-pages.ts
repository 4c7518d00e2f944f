import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { legacyConnectSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { PROJECT_ROOT } from '../../server/create-server';
import { launchBrowser, type Page, type TestBrowser } from './browser';
import { closeAll } from './close-all';
import { startSite, type TestSite } from './site';
import { startServer, type TestServer } from './start-server';
import { until } from './wait-for';

export const KEY = DEMO_SOURCES.demo.signKey;
const BUNDLES = ['node_im.min.js', 'md5.js'].map((f) => path.join(PROJECT_ROOT, 'dist/browser', f));
const JQUERY = path.join(PROJECT_ROOT, 'node_modules/jquery/dist/jquery.min.js');

export interface OpenPage {
  page: Page;
  /** Values the page passed to console.log, as JSON. */
  logs: unknown[];
  /** Uncaught errors in the page. */
  errors: string[];
  /** Resolves with the first console.log value that matches. */
  logged(match: (value: unknown) => boolean, ms?: number): Promise<unknown>;
}

export interface SdkPages {
  /** The relay, started in beforeAll. */
  readonly relay: TestServer;
  /**
   * A second origin: the site whose pages use the SDK. It hosts its own copies of js/md5.js and
   * js/node_im.min.js (the seed's pages load them relative to the page), jQuery, and the HTML
   * each test serves with `servePage`.
   */
  readonly site: TestSite;
  /** Servers a test started: closed after it. */
  extraServers: TestServer[];
  /** Opens `url` in a new tab (closed after the test), recording its console.log values and errors. */
  open(url: string): Promise<OpenPage>;
  /** Serves `html` at /`name` of the site; returns its URL. */
  servePage(name: string, html: string): string;
  /** A page of the site that uses XIN_NODE and records what it gets in window.t (for tests that need more than the seed's snippets). */
  sdkPage(name: string, server: TestServer, userid: string, rooms: string, config?: string, sign?: string): string;
}

/**
 * The browser SDK's test bench for a test file: in beforeAll a relay, the site (on localhost: another
 * origin than the relay's 127.0.0.1, both loopback) and Chromium; after each test its tabs and extra
 * servers are closed, after all the rest. Nothing starts when `enabled` is false (no Chromium).
 */
export function useSdkPages(enabled: boolean): SdkPages {
  let relay: TestServer;
  let site: TestSite;
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

  return {
    get relay() {
      return relay;
    },
    get site() {
      return site;
    },
    extraServers,
    open,
    servePage,
    sdkPage,
  };
}

/** Resolves once the server holds a connection of `userid` (the seed's snippets have no connected callback). */
export function connectedOn(server: TestServer, userid: string, count = 1) {
  return until(
    () => [...server.io.of('/').sockets.values()].filter((s) => s.data.userid === userid).length >= count,
    10_000,
    `a connection of user ${userid}`,
  );
}

/** What an sdkPage recorded in window.t. */
export type T = {
  received: unknown[];
  errors: Array<[string, string, string]>;
  attempts: number[];
  connects: number;
  failed: number;
  disconnects: number;
};
export const t = (page: Page) => page.evaluate(() => (window as unknown as { t: T }).t);
export const waitT = (page: Page, check: string, ms = 10_000) => page.waitForFunction(`(function (t) { return ${check}; })(window.t)`, undefined, { timeout: ms });
export const state = (page: Page) => page.evaluate(() => (window as unknown as { XIN_NODE: { state(): string } }).XIN_NODE.state());
