import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asLogEntry, type LogEntry, type Message } from '../../packages/protocol';
import type { TestBrowser } from '../helpers/browser';
import { ASYNC_METHODS, SYNC_CALLS, TOTAL, lineOf, startHookBench, type HookBench } from '../helpers/console-app';
import { requireChromium } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { SDK_BUNDLE, requireBundles, seedDisplayPage } from './remote-debug-fixtures';

// The seed's remote-debug pages, verbatim: its hooked page and its XIN_NODE display page.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)("remote debug in Chromium: the seed's pages", () => {
  let bench: HookBench;
  let server: TestServer, APP: string, browser: TestBrowser;
  beforeAll(async () => void ({ server, APP, browser } = bench = await startHookBench()));
  afterAll(() => bench?.close());

  it("the seed's pages work unchanged: its hook page and its XIN_NODE display page", async () => {
    requireBundles(SDK_BUNDLE);
    const port = new URL(server.url).port;
    // The seed's display page, verbatim but for the host:port (and the jQuery CDN served locally).
    const display = seedDisplayPage(`http://127.0.0.1:${port}`);
    // The seed's hook page, verbatim.
    const hooked = `<script src="js/node_im_remote_debug.js"></script>
<script>
setInterval(function(){
var w = document.documentElement.clientWidth || document.body.clientWidth;
var h = document.documentElement.clientHeight || document.body.clientHeight;
data = {width:w,height:h};
console.log(data);
},2000);
</script>`;
    // Both pages live on the relay's origin, so their relative js/ paths reach its /js/.
    await browser.context.route(`${server.url}/seed-*.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: route.request().url().includes('display') ? display : hooked }),
    );
    await browser.context.route('https://cdn.bootcss.com/jquery/2.2.3/jquery.min.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: JQUERY_STAND_IN }),
    );
    const displayPage = await browser.newPage();
    await displayPage.goto(`${server.url}/seed-display.html`);
    await displayPage.waitForFunction(() => (window as any).XIN_NODE !== undefined);
    const hookPageTab = await browser.newPage();
    await hookPageTab.setViewportSize({ width: 640, height: 480 });
    await hookPageTab.goto(`${server.url}/seed-hook.html`);
    await displayPage.waitForFunction(() => Array.from(document.querySelectorAll('#messages li')).filter((li) => li.textContent!.includes('"args":[{"width"')).length >= 1, undefined, { timeout: 20_000 });
    const items = await displayPage.$$eval('#messages li', (lis) => lis.map((li) => li.textContent!));
    // The seed's hook page (verbatim, so network capture is on): its console entries, not its requests.
    const shown = items.map((t) => JSON.parse(t) as Message).filter((m) => asLogEntry(m.data) !== undefined && JSON.stringify(m.data).includes('"width"'));
    const entry = asLogEntry(shown[0]!.data)!;
    expect(shown[0]).toMatchObject({ source: 'remote_debug', room_id: 'console-log' });
    // Readable: the arguments as an array of values, not {"0": …}; level and call site included.
    expect(entry).toMatchObject({ level: 'log', method: 'log', args: [{ width: 640, height: 480 }], callSite: { file: `${server.url}/seed-hook.html`, line: 7 } });
    await hookPageTab.close();

    // The display page shows everything a hooked page sends: the full set, in order, with levels and call sites.
    const shop = await browser.newPage(); // a new tab: a new session
    await shop.goto(`${APP}/page.html`);
    const session = await shop.evaluate(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.session as string);
    const ofShop = async () =>
      (await displayPage.$$eval('#messages li', (lis) => lis.map((li) => li.textContent!)))
        .map((t) => asLogEntry((JSON.parse(t) as Message).data))
        .filter((e): e is LogEntry => e?.session === session);
    await expect.poll(async () => (await ofShop()).length, { timeout: 20_000 }).toBe(TOTAL);
    const fromShop = await ofShop();
    expect(fromShop.map((e) => e.seq)).toEqual(fromShop.map((_, i) => i + 1));
    expect(fromShop.slice(0, SYNC_CALLS.length).map((e) => [e.level, e.method, e.callSite?.line])).toEqual(
      SYNC_CALLS.map(([marker, level, method]) => [level, method, lineOf(marker)]),
    );
    expect(fromShop.slice(SYNC_CALLS.length).map((e) => e.method).sort()).toEqual(ASYNC_METHODS);
    await shop.close();
    await displayPage.close();
  });
});

/**
 * The seed's display page loads jQuery 2.2.3 from a CDN this machine cannot reach. This stand-in
 * implements exactly what the page calls: $(selector).append(...), $('<li>').text(string).
 */
const JQUERY_STAND_IN = `(function(){
function W(nodes){this.nodes=nodes;}
W.prototype.append=function(x){var n=this.nodes[0];(x instanceof W?x.nodes:[x]).forEach(function(c){n.appendChild(c)});return this;};
W.prototype.text=function(t){this.nodes.forEach(function(n){n.textContent=t});return this;};
window.$=window.jQuery=function(s){var m=/^<(\\w+)>$/.exec(s);return new W(m?[document.createElement(m[1])]:Array.prototype.slice.call(document.querySelectorAll(s)));};
})();`;
