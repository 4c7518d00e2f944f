import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { closeAll } from '../helpers/close-all';
import { requireChromium } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { SEED_SIGN, VIEWER_BUNDLE, requireBundles } from './remote-debug-fixtures';

const hasChromium = requireChromium();

/** /debug of one server, and a link that points it at another: the sign must not go there unasked. */
describe.skipIf(!hasChromium)('/debug asks before it connects to a server other than its own', () => {
  let browser: TestBrowser;
  let own: TestServer;
  let foreign: TestServer;
  /** Engine.IO connections the foreign server saw (each would have carried the sign). */
  let reached = 0;

  beforeAll(async () => {
    requireBundles(VIEWER_BUNDLE);
    own = await startServer();
    foreign = await startServer();
    foreign.io.engine.on('connection', () => reached++);
    browser = await launchBrowser();
  });
  afterAll(() => closeAll(browser, own, foreign));

  /** A new page on `link` (a /debug link naming the foreign server), once it asks; counts the foreign connections from here. */
  const openAsked = async (link: string) => {
    const page = await browser.newPage();
    reached = 0;
    await page.goto(link);
    await page.waitForSelector('#foreign:not([hidden])');
    return page;
  };
  /** Nothing has reached the foreign server yet; the click on "Connect to …" connects there. Closes the page. */
  const confirmConnectsThere = async (page: Page) => {
    expect(reached).toBe(0);
    await page.click('#foreign-yes');
    await page.waitForSelector('#status.ok', { timeout: 15_000 });
    expect(reached).toBeGreaterThan(0);
    await page.close();
  };
  const foreignLink = (extra = '') => `${own.url}/debug#server=${encodeURIComponent(foreign.url)}&source=remote_debug&room=console-log${extra}`;

  const shown = (page: Page) =>
    page.evaluate(() => ({
      box: !(document.getElementById('foreign') as HTMLElement).hidden,
      text: document.getElementById('foreign-text')?.textContent ?? '',
      yes: document.getElementById('foreign-yes')?.textContent ?? '',
      status: document.getElementById('status')?.textContent ?? '',
      server: (document.querySelector('input[name=server]') as HTMLInputElement).value,
    }));

  it('a #server= link without a sign: the foreign origin is shown, and the typed sign goes there only after the click', async () => {
    const page = await openAsked(foreignLink());
    const first = await shown(page);
    expect(first.text).toContain(`another server: ${foreign.url}`);
    expect(first.text).toContain(`(this page is ${own.url})`);
    expect(first.yes).toBe(`Connect to ${foreign.url}`);
    // Confirming the server sends nothing yet: there is no sign. The one typed next goes there.
    await page.click('#foreign-yes');
    expect(await shown(page)).toMatchObject({ box: false, status: `not connected yet: enter the sign for ${foreign.url} and press Connect` });
    expect(reached).toBe(0);
    await page.fill('input[name=sign]', SEED_SIGN);
    await page.click('#connect-btn');
    await page.waitForSelector('#status.ok', { timeout: 15_000 });
    expect(reached).toBeGreaterThan(0);
    expect(foreign.io.of('/').sockets.size).toBe(1);
    await page.close();

    // Typing the sign and pressing Connect without confirming: asked again, nothing sent.
    const other = await openAsked(foreignLink());
    await other.fill('input[name=sign]', SEED_SIGN);
    await other.click('#connect-btn');
    expect((await shown(other)).box).toBe(true);
    await confirmConnectsThere(other);
  });

  it('a #server= link with a sign waits for the click; "Stay on this server" sends nothing there', async () => {
    const link = foreignLink(`&sign=${SEED_SIGN}`);
    const page = await openAsked(link);
    expect((await shown(page)).status).toBe(`waiting for you to confirm ${foreign.url}`);
    await page.click('#foreign-no');
    const after = await shown(page);
    expect(after).toMatchObject({ box: false, server: '', status: `not connected: ${foreign.url} was not confirmed` });
    // Connect now goes to this page's own server.
    const ownBefore = own.io.of('/').sockets.size;
    await page.click('#connect-btn');
    await page.waitForSelector('#status.ok', { timeout: 15_000 });
    expect(own.io.of('/').sockets.size).toBe(ownBefore + 1);
    expect(reached).toBe(0);
    await page.close();

    const again = await openAsked(link);
    await confirmConnectsThere(again);
  });

  it('its own server connects at once, and a server that is no http(s) URL is refused', async () => {
    const page = await browser.newPage();
    await page.goto(`${own.url}/debug#server=${encodeURIComponent(own.url)}&source=remote_debug&room=console-log&sign=${SEED_SIGN}`);
    await page.waitForSelector('#status.ok', { timeout: 15_000 });
    expect((await shown(page)).box).toBe(false);
    await page.close();
    // A new page: a change of the fragment alone would not load it again.
    const bad = await browser.newPage();
    await bad.goto(`${own.url}/debug#server=${encodeURIComponent('javascript:alert(1)')}&source=remote_debug&room=console-log&sign=${SEED_SIGN}`);
    await bad.waitForSelector('#status.bad');
    expect((await shown(bad)).status).toBe('not a server address: javascript:alert(1)');
    await bad.close();
  });
});
