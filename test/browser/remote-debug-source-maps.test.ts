import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asDebugEntry, type Message } from '../../packages/protocol';
import type { TestBrowser } from '../helpers/browser';
import { hookTag, networkCapture, type ApiSite } from '../helpers/network-site';
import { requireChromium } from '../helpers/requirements';
import { runImDebug } from '../helpers/run-im-debug';
import type { TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { entryLines } from '../../terminal-viewer/format/entry-lines';
import { toViewEntry } from '../../terminal-viewer/format/view-entry';
import { createSourceMapper, withSourceMaps } from '../../terminal-viewer/stream/source-maps';
import type { StreamListener } from '../../terminal-viewer/stream/types';
import { SEED_SIGN, openDebugPage } from './remote-debug-fixtures';

// A bundled page with a source map: im-debug tail and /debug show the original call sites.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug: source maps in Chromium', () => {
  const capture = networkCapture();
  const { pages, received, requested, entries, network } = capture;
  let relay: TestServer, site: ApiSite, browser: TestBrowser;
  beforeAll(async () => void ({ relay, site, browser } = await capture.start()));
  afterAll(() => capture.close());
  it('a bundled page with a source map: im-debug tail and /debug show the original call sites, fetching maps only from allowed origins', async () => {
    // A real bundle: TypeScript, minified, with a linked source map, as a build tool makes it.
    const source = ['export function checkout(total: number): void {', "  console.warn('checkout total', total);", "  fetch('/api/down');", '}', 'checkout(3);', 'function failCheckout(): void {', "  console.error(new Error('checkout failed'));", '}', 'failCheckout();', ''].join('\n');
    const built = buildSync({ stdin: { contents: source, sourcefile: 'src/shop.ts', loader: 'ts' }, minify: true, sourcemap: true, write: false, outfile: path.join(process.cwd(), 'dist-test/bundle.js'), format: 'iife' });
    const js = built.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const map = built.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
    pages.set('/dist/bundle.js', js);
    pages.set('/dist/bundle.js.map', map);
    pages.set('/bundled.html', `<!doctype html>${hookTag(relay.url).replace('net-tab', 'bundle-tab')}<script src="/dist/bundle.js"></script>`);
    const p = await browser.newPage();
    await p.goto(`${site.url}/bundled.html`);
    const failed = () => received.find((m) => asDebugEntry(m.data)?.session === 'bundle-tab' && JSON.stringify(m.data).includes('checkout failed'));
    await until(() => entries().some((e) => e.session === 'bundle-tab' && e.kind === 'log') && network('bundle-tab').some((n) => n.url.endsWith('/api/down')) && failed() !== undefined, 20_000, 'bundle entries');
    await p.close();
    const tailLines = async (...extra: string[]) => {
      const t = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--session', 'bundle-tab', ...extra]);
      expect((await t.exited).code).toBe(0);
      return t.stdout.filter(Boolean);
    };
    const warnLine = (lines: string[]) => lines.find((l) => l.includes('checkout total'))!;
    const netLine = (lines: string[]) => lines.find((l) => / NET .*\/api\/down/.test(l))!;

    // Not allowed: the generated location, and no map was fetched.
    requested.length = 0;
    const plain = await tailLines();
    expect(warnLine(plain)).toMatch(/\(dist\/bundle\.js:1:\d+\)$/);
    expect(requested.filter((r) => r.startsWith('/dist/'))).toEqual([]);
    // Another origin allowed is not this one: still nothing fetched.
    await tailLines('--source-maps-from', 'http://127.0.0.1:1');
    expect(requested.filter((r) => r.startsWith('/dist/'))).toEqual([]);

    // Allowed origin: the script and its map are fetched once, the original file and line shown.
    const mapped = await tailLines('--source-maps-from', site.url);
    expect(warnLine(mapped)).toMatch(/\(src\/shop\.ts:2:\d+\)$/);
    expect(netLine(mapped)).toMatch(/\(src\/shop\.ts:3:\d+\)$/);
    expect(requested.filter((r) => r.startsWith('/dist/')).sort()).toEqual(['/dist/bundle.js', '/dist/bundle.js.map']);

    // A folder of maps: nothing fetched at all.
    requested.length = 0;
    const dir = mkdtempSync(path.join(tmpdir(), 'im-maps-'));
    writeFileSync(path.join(dir, 'bundle.js.map'), map);
    const fromDir = await tailLines('--source-maps', dir);
    expect(warnLine(fromDir)).toMatch(/\(src\/shop\.ts:2:\d+\)$/);
    expect(requested).toEqual([]);
    // --json stays the message as received (the generated call site).
    const json = (await tailLines('--source-maps', dir, '--json')).map((l) => JSON.parse(l) as Message);
    expect(JSON.stringify(json)).toContain('/dist/bundle.js');
    expect(JSON.stringify(json)).not.toContain('shop.ts');

    // The Error's stack, frame by frame, through the same mapper and cache as call sites (tail's expanded view).
    const stackLines = async (mapper: ReturnType<typeof createSourceMapper> | undefined) => {
      const message = structuredClone(failed()!);
      const source = { subscribe: (l: StreamListener) => (l.messages?.([message], 'live'), () => undefined) };
      const shown = await new Promise<Message>((resolve) => (mapper ? withSourceMaps(source, mapper) : source).subscribe({ messages: (ms) => resolve(ms[0]!) }));
      return entryLines(toViewEntry(shown, 1, Date.now()), { multiRoom: false, json: false, expanded: true }).map((l) => l.left.map((p) => p.text).join('')).join('\n');
    };
    expect(await stackLines(undefined)).toMatch(/dist\/bundle\.js:1:\d+/);
    const expandedMapped = await stackLines(createSourceMapper({ dir }));
    expect(expandedMapped).toContain('checkout failed');
    expect(expandedMapped).toMatch(/at .*src\/shop\.ts:7:\d+/);
    expect(expandedMapped).toMatch(/at .*src\/shop\.ts:9:\d+/);
    expect(expandedMapped).not.toContain('bundle.js:1:');

    // /debug: the generated location until the user allows the page's origin with a click.
    requested.length = 0;
    const viewer = await browser.newPage();
    await openDebugPage(viewer, relay.url);
    const warnSite = viewer.locator('#list .row:has-text("checkout total") .site');
    await expect.poll(() => warnSite.textContent(), { timeout: 20_000 }).toMatch(/^bundle\.js:1:\d+$/);
    expect(requested.filter((r) => r.startsWith('/dist/'))).toEqual([]);
    await warnSite.click();
    expect(await viewer.textContent('#maps-text')).toContain(site.url);
    await viewer.click('#maps-yes');
    await expect.poll(() => warnSite.textContent(), { timeout: 20_000 }).toMatch(/^shop\.ts:2:\d+$/);
    expect(await warnSite.getAttribute('title')).toContain('generated: ');
    // The Error's stack, opened: each frame at its original file and line (shown as received until the map is in).
    await viewer.click('#list .row:has-text("checkout failed") details.v-error > summary');
    const stack = viewer.locator('#list .row:has-text("checkout failed") pre.v-stack');
    await expect.poll(() => stack.textContent(), { timeout: 20_000 }).toMatch(/at .*src\/shop\.ts:7:\d+/);
    expect(await stack.textContent()).not.toContain('bundle.js:1:');
    // The Network view's initiator through the map too.
    await expect.poll(() => viewer.evaluate(() => [...document.querySelectorAll('.net-row .site')].map((n) => n.textContent).join(' ')), { timeout: 20_000 }).toMatch(/shop\.ts:3/);

    // Each script and map once, for call sites, stacks and initiators alike.
    expect(requested.filter((r) => r.startsWith('/dist/')).sort()).toEqual(['/dist/bundle.js', '/dist/bundle.js.map']);
    // Maps are fetched by a worker whose own CSP allows just the origins the user allowed: the
    // browser refuses any other, whatever the worker is asked.
    const worker = await fetch(`${relay.url}/debug/source-map-worker.js?origin=${encodeURIComponent(site.url)}`);
    expect(worker.headers.get('content-security-policy')).toBe(`default-src 'none'; connect-src ${site.url}`);
    expect((await fetch(`${relay.url}/debug/source-map-worker.js?origin=javascript:alert(1)`)).status).toBe(400);
    expect((await fetch(`${relay.url}/debug/source-map-worker.js?origin=${encodeURIComponent(`${site.url}/path`)}`)).status).toBe(400);
    requested.length = 0;
    const refused = await viewer.evaluate(
      (url) =>
        new Promise<{ ok: boolean }>((resolve) => {
          const w = new Worker('/debug/source-map-worker.js?origin=http://127.0.0.1:1');
          w.onmessage = (ev) => resolve(ev.data as { ok: boolean });
          w.postMessage({ id: 1, url });
        }),
      `${site.url}/dist/bundle.js?not-allowed=1`,
    );
    expect(refused.ok).toBe(false);
    expect(requested).toEqual([]);
    await viewer.close();
  });
});
