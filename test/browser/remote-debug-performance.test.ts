import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PerformanceEntryData } from '../../packages/protocol';
import type { TestBrowser } from '../helpers/browser';
import { hookTag, networkCapture, type ApiSite } from '../helpers/network-site';
import { requireChromium } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

// Web Vitals and long tasks as the hook reports them.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug: performance entries in Chromium', () => {
  const capture = networkCapture();
  const { pages, entries } = capture;
  let relay: TestServer, site: ApiSite, browser: TestBrowser;
  beforeAll(async () => void ({ relay, site, browser } = await capture.start()));
  afterAll(() => capture.close());
  it('performance: LCP, CLS, INP and a long task, each an entry of its own with a rating', async () => {
    pages.set(
      '/vitals.html',
      `<!doctype html><title>vitals</title>${hookTag(relay.url).replace('net-tab', 'vitals-tab')}
<h1 id="hero" style="font-size:64px">A large heading, the largest paint</h1><p id="text">text below</p>
<button id="slow" style="font-size:32px">slow</button>
<script>
setTimeout(function () { var d = document.createElement('div'); d.style.height = '300px'; document.body.insertBefore(d, document.getElementById('text')); }, 200);
document.getElementById('slow').addEventListener('click', function () { var end = performance.now() + 260; while (performance.now() < end) {} });
</script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/vitals.html`);
    const perf = (metric: string) => entries().find((e): e is PerformanceEntryData => e.kind === 'performance' && e.session === 'vitals-tab' && e.metric === metric);
    await until(() => perf('LCP') !== undefined && perf('CLS') !== undefined, 20_000, 'LCP and CLS');
    // Its rating depends on how busy the machine is; that it has one, and the element, do not.
    expect(perf('LCP')).toMatchObject({ rating: expect.stringMatching(/good|needs-improvement|poor/), detail: { element: expect.stringMatching(/^(h1#hero|p#text)/) } });
    expect(perf('CLS')!.value).toBeGreaterThan(0);
    await p.click('#slow');
    // A busy machine can give the page's own start-up a long task too: the click's is the one of 250 ms or more.
    const clickTask = () =>
      entries().find((e): e is PerformanceEntryData => e.kind === 'performance' && e.session === 'vitals-tab' && e.metric === 'longtask' && e.value >= 250);
    await until(() => perf('INP') !== undefined && clickTask() !== undefined, 20_000, 'INP and the long task of the click');
    expect(perf('INP')!.value).toBeGreaterThanOrEqual(200);
    expect(perf('INP')).toMatchObject({ rating: expect.stringMatching(/needs-improvement|poor/), detail: { target: 'button#slow' } });
    await p.close();
  });
});
