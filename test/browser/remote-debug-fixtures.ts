import { existsSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../server/create-server';
import { startSite } from '../helpers/site';

export const DIST = path.join(PROJECT_ROOT, 'dist/browser');
export const HOOK_BUNDLE = path.join(DIST, 'node_im_remote_debug.js');
export const VIEWER_BUNDLE = path.join(DIST, 'debug-viewer.js');
export const SDK_BUNDLE = path.join(DIST, 'node_im.min.js');
/** The sign the seed's display page hard-codes: md5("remote_debug" + "console-log" + demo key). */
export const SEED_SIGN = '5b092ffd2f7bcd3eddc9a7655600a998';
/**
 * The seed's remote-debug display page, verbatim but for the relay's address (`relay`, e.g.
 * http://127.0.0.1:4000) and where jQuery comes from (the seed's page takes it from a CDN).
 */
export function seedDisplayPage(relay: string, jquerySrc = 'https://cdn.bootcss.com/jquery/2.2.3/jquery.min.js'): string {
  return `<ul id="messages"></ul>
<script src="js/node_im.min.js"></script>
<script src="${jquerySrc}"></script>
<script>
var socket_server_url = "${relay}?userid=0000&username=demo&source=remote_debug&room_ids=console-log&sign=${SEED_SIGN}&ext_info=";
var node_callback_config = {
'receive_message_callback': function(message){
$('#messages').append($('<li>').text(JSON.stringify(message)));
}
};
XIN_NODE.init(socket_server_url, node_callback_config); 
</script>`;
}

/** Fails with what to do when the bundles were not built (`npm test` builds them first). */
export function requireBundles(...files: string[]): void {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    throw new Error(`browser bundle missing: ${missing.map((f) => path.relative(PROJECT_ROOT, f)).join(', ')}. Run \`npm run build\` (npm test does it first).`);
  }
}

/** A port nothing listens on right now (for "the server is not up yet"). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface AppServer {
  /** e.g. http://127.0.0.1:34567: another origin than the relay's, as a customer's site is. */
  url: string;
  /** Adds or replaces a page. */
  set(pathname: string, contentType: string, body: string): void;
  close(): Promise<void>;
}

/**
 * A customer's web server: serves the given pages, the built hook at /js/node_im_remote_debug.js,
 * and 404 for anything else. On 127.0.0.1, because Chromium refuses pages of a public origin
 * access to a loopback server (Local Network Access).
 */
export async function startAppServer(files: Record<string, [string, string]> = {}): Promise<AppServer> {
  const site = await startSite({ '/js/node_im_remote_debug.js': HOOK_BUNDLE }, '127.0.0.1');
  const set = (pathname: string, contentType: string, body: string) => site.set(pathname, body, contentType);
  for (const [pathname, [type, body]] of Object.entries(files)) set(pathname, type, body);
  return { url: site.url, set, close: site.close };
}

/** What the /debug page shows, row by row (read from the DOM). */
export interface ShownRow {
  level: string;
  method: string;
  time: string;
  session: string;
  message: string;
  site: string;
  siteTitle: string;
  dropped: string;
}

export function readDebugRows(page: Page): Promise<ShownRow[]> {
  // No named helpers inside: tsx (esbuild keepNames) would wrap them in a __name() the page lacks.
  return page.$$eval('#list .row', (rows) =>
    rows.map((r) => {
      const el = r as HTMLElement;
      const [time, session, message, site, dropped] = ['.time', '.sess', '.msg', '.site', '.dropped'].map((sel) =>
        (el.querySelector(sel)?.textContent ?? '').trim(),
      );
      return {
        level: el.dataset.level ?? '',
        method: el.dataset.method ?? '',
        time: time!,
        session: session!,
        message: message!,
        site: site!,
        siteTitle: (el.querySelector('.site') as HTMLElement | null)?.title ?? '',
        dropped: dropped!,
      };
    }),
  );
}

export async function waitForRows(page: Page, count: number): Promise<ShownRow[]> {
  await page.waitForFunction((n) => document.querySelectorAll('#list .row').length >= n, count, { timeout: 20_000 });
  return readDebugRows(page);
}

/** Opens /debug on `server` reading the demo debug room with the seed's sign (in the fragment). */
export async function openDebugPage(page: Page, server: string, room = 'console-log', sign = SEED_SIGN): Promise<void> {
  await page.goto(`${server}/debug#source=remote_debug&room=${room}&sign=${sign}`);
  await page.waitForSelector('#status.ok', { timeout: 15_000 });
}
