/**
 * Makes docs/debug-page.png: a real /debug page with real entries from a hooked page and a
 * Node log point. Run: `npm run build && npx tsx docs/make-debug-screenshot.ts`.
 */
import path from 'node:path';
import { createRemoteLogger } from '../packages/log-client';
import { DEMO_SOURCES } from '../server/config';
import { PROJECT_ROOT } from '../server/create-server';
import { openDebugPage, startAppServer, waitForRows } from '../test/browser/remote-debug-fixtures';
import { launchBrowser } from '../test/helpers/browser';
import { startServer } from '../test/helpers/start-server';

const server = await startServer();
const shop = `
const cart = { id: 'c-1042', items: [{ sku: 'TEA-01', qty: 2, price: 4.5 }, { sku: 'MUG-07', qty: 1, price: 12 }], coupon: null };
console.info('checkout page ready in %d ms', 182);
console.log('cart', cart);
console.debug('feature flags', new Map([['newCheckout', true], ['darkMode', false]]));
console.group('payment');
console.log('provider', 'stripe', { live: false });
console.warn('card expires soon', { month: 12, year: 2026 });
console.groupEnd();
console.table(cart.items);
fetchPrice().catch((e) => console.error('price lookup failed', e));
function fetchPrice() { return Promise.reject(new TypeError('Failed to fetch', { cause: new Error('HTTP 503 from /api/price') })); }
setTimeout(() => { undefinedFunction(); }, 10);
`;
const app = await startAppServer({
  '/checkout.html': [
    'text/html',
    `<!doctype html><title>Checkout</title><script src="${server.url}/js/node_im_remote_debug.js" data-session="phone-ann"></script><div id="app"></div><script src="/checkout.js"></script>`,
  ],
  '/checkout.js': ['text/javascript', shop],
});
const browser = await launchBrowser();
try {
  const logger = createRemoteLogger({ server: server.url, source: 'remote_debug', signKey: DEMO_SOURCES.remote_debug.signKey, room: 'console-log', session: 'api-1' });
  const page = await browser.newPage();
  await page.goto(`${app.url}/checkout.html`);
  await page.waitForFunction(() => (window as any).NODE_IM_REMOTE_DEBUG.hook.status().sent >= 9);
  logger.warn('slow query', { ms: 840, sql: 'SELECT * FROM orders WHERE cart_id = ?' });
  logger.error(new Error('price service unavailable'));
  await logger.flush();

  const debug = await browser.newPage();
  await debug.setViewportSize({ width: 1280, height: 640 });
  await openDebugPage(debug, server.url);
  await waitForRows(debug, 11);
  // Open the cart object and the failed fetch's error, as a reader would.
  await debug.locator('#list .row').nth(1).locator('details > summary').first().click();
  await debug.locator('#list .row', { hasText: 'price lookup failed' }).locator('details.v-error > summary').first().click();
  await debug.mouse.move(0, 0);
  const file = path.join(PROJECT_ROOT, 'docs/debug-page.png');
  await debug.screenshot({ path: file });
  process.stdout.write(`wrote ${file}\n`);
} finally {
  await browser.close();
  await app.close();
  await server.close();
}
