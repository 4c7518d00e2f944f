import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asDebugEntry, type Message, type NetworkEntry } from '../../packages/protocol';
import type { TestBrowser } from '../helpers/browser';
import { connectClient } from '../helpers/connect-client';
import { SECRET_TOKEN, hookTag, networkCapture, type ApiSite } from '../helpers/network-site';
import { requireChromium } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { freePort } from './remote-debug-fixtures';

// Network capture as a page configures it (bodies, beforeSend, data-network="off"), beside another
// library that wraps fetch, and while the relay is not up yet.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug: network capture in Chromium, its options and its neighbours', () => {
  const capture = networkCapture();
  const { pages, entries, network, waitNet } = capture;
  let relay: TestServer, site: ApiSite, browser: TestBrowser;
  beforeAll(async () => void ({ relay, site, browser } = await capture.start()));
  afterAll(() => capture.close());
  it('bodies: off by default; with data-network-bodies, text bodies up to 8 KB and never binary ones; the page gets everything', async () => {
    expect(network().some((n) => n.responseBody !== undefined || n.requestBody !== undefined)).toBe(false);
    pages.set(
      '/bodies.html',
      `<!doctype html><script>window.orig = [window.fetch, XMLHttpRequest.prototype.open, XMLHttpRequest.prototype.send, XMLHttpRequest.prototype.setRequestHeader, navigator.sendBeacon, window.WebSocket, WebSocket.prototype.send, window.EventSource, EventSource.prototype.close];</script>
${hookTag(relay.url, ' data-network-bodies').replace('net-tab', 'bodies-tab')}<script src="/app.js"></script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/bodies.html`);
    expect(await p.evaluate('tests.fetchBig()')).toBe(20_000);
    expect(await p.evaluate('tests.fetchBinary()')).toBe(8);
    expect(await p.evaluate('tests.fetchRequest()')).toBe(201);
    expect(await p.evaluate(`tests.xhr('GET', '/api/big')`)).toMatchObject({ body: 20_000 });
    const big = await waitNet((n) => n.type === 'fetch' && n.url.endsWith('/api/big'), 'big', 'bodies-tab');
    expect(big.responseBody).toBe('b'.repeat(8192));
    expect(big.bodyTruncated).toBe(true);
    const bin = await waitNet((n) => n.url.endsWith('/api/binary'), 'binary', 'bodies-tab');
    expect(bin.responseBody).toBeUndefined();
    const post = await waitNet((n) => n.type === 'fetch' && n.url.endsWith('/api/post'), 'post', 'bodies-tab');
    expect(post.responseBody).toBe('{"created":1}');
    const xbig = await waitNet((n) => n.type === 'xhr' && n.url.endsWith('/api/big'), 'xhr big', 'bodies-tab');
    expect(xbig.responseBody?.length).toBe(8192);
    // Wrapped while installed (natively named: Proxies), the very originals again after uninstall.
    const now = 'JSON.stringify([window.fetch, XMLHttpRequest.prototype.open, XMLHttpRequest.prototype.send, XMLHttpRequest.prototype.setRequestHeader, navigator.sendBeacon, window.WebSocket, WebSocket.prototype.send, window.EventSource, EventSource.prototype.close].map(function (f, i) { return f === orig[i]; }))';
    expect(await p.evaluate(now)).toBe(JSON.stringify(Array(9).fill(false)));
    expect(await p.evaluate('[fetch.name, /\\[native code\\]/.test(String(fetch)), WebSocket.name, XMLHttpRequest.prototype.open.length]')).toEqual(['fetch', true, 'WebSocket', 2]);
    await p.evaluate('NODE_IM_REMOTE_DEBUG.hook.uninstall()');
    expect(await p.evaluate(now)).toBe(JSON.stringify(Array(9).fill(true)));
    await p.close();
  });

  it('beforeSend sees network entries already redacted', async () => {
    pages.set(
      '/before-send.html',
      `<!doctype html><script src="/js/node_im_remote_debug.js" data-server="${relay.url}" data-autostart="false"></script>
<script>window.seen = []; NODE_IM_REMOTE_DEBUG.install({ session: 'bs-tab', beforeSend: function (e) { if (e.kind === 'network') seen.push(JSON.stringify(e)); return e; } });</script>
<script src="/app.js"></script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/before-send.html`);
    expect(await p.evaluate('tests.fetchOk()')).toEqual({ ok: true });
    await waitNet((n) => n.url.includes('/api/ok?token'), 'redacted fetch', 'bs-tab');
    const seen = (await p.evaluate('seen.join()')) as string;
    expect(seen).toContain('/api/ok?token=[redacted]&x=1');
    expect(seen).toContain('"authorization":"[redacted]"');
    expect(seen).not.toContain(SECRET_TOKEN);
    expect(seen).not.toContain('s3cr3t-bearer-value');
    await p.close();
  });

  it('data-network="off" captures no requests', async () => {
    pages.set('/off.html', `<!doctype html><script>window.f0 = window.fetch;</script>${hookTag(relay.url, ' data-network="off"').replace('net-tab', 'off-tab')}<script src="/app.js"></script><script>console.log('off page')</script>`);
    const p = await browser.newPage();
    await p.goto(`${site.url}/off.html`);
    expect(await p.evaluate('tests.fetchOk()')).toEqual({ ok: true });
    await until(() => entries().some((e) => e.kind === 'log' && e.session === 'off-tab'), 20_000, 'off page log');
    expect(await p.evaluate('window.fetch === window.f0')).toBe(true);
    await p.evaluate('NODE_IM_REMOTE_DEBUG.hook.flush()');
    expect(network('off-tab')).toEqual([]);
    await p.close();
  });

  it('another library wrapping fetch before and after the hook keeps working, and uninstall keeps theirs', async () => {
    pages.set(
      '/libs.html',
      `<!doctype html>
<script>window.calls = []; (function () { var f = window.fetch; window.fetch = function (u, o) { calls.push('before'); return f.apply(this, arguments); }; })();</script>
${hookTag(relay.url).replace('net-tab', 'libs-tab')}
<script>(function () { var f = window.fetch; window.fetch = function (u, o) { calls.push('after'); return f.apply(this, arguments).then(function (r) { calls.push('after-then'); return r; }); }; window.afterWrapper = window.fetch; })();</script>
<script src="/app.js"></script>`,
    );
    const p = await browser.newPage();
    await p.goto(`${site.url}/libs.html`);
    expect(await p.evaluate('tests.fetchOk().then(function (b) { return [b, calls.join()]; })')).toEqual([{ ok: true }, 'after,before,after-then']);
    await waitNet((n) => n.type === 'fetch' && n.url.includes('/api/ok?token'), 'wrapped fetch', 'libs-tab');
    // Uninstalling cannot put the original back (the later library wraps ours): ours stays, inert.
    expect(await p.evaluate('NODE_IM_REMOTE_DEBUG.hook.uninstall(), window.fetch === window.afterWrapper')).toBe(true);
    expect(await p.evaluate('calls = [], tests.fetchDown().then(function (s) { return [s, calls.join()]; })')).toEqual(['503 Service Unavailable', 'after,before,after-then']);
    await p.close();
  });

  it('requests made before the relay is up wait in the buffer and arrive once it is', async () => {
    const port = await freePort();
    pages.set('/late.html', `<!doctype html><script src="/js/node_im_remote_debug.js" data-server="http://127.0.0.1:${port}" data-session="late-tab"></script><script src="/app.js"></script>`);
    const p = await browser.newPage();
    const offline = p.waitForEvent('console', (c) => c.text().includes('is not reachable yet'));
    await p.goto(`${site.url}/late.html`);
    expect(await p.evaluate('tests.fetchDown()')).toBe('503 Service Unavailable');
    await offline;
    const late = await startServer({}, {}, port);
    try {
      const r = await connectClient(late.url, { source: 'remote_debug', roomIds: 'console-log' });
      const got: Message[] = [];
      r.on('newMsg', (m: Message) => got.push(m));
      const lateNet = () => got.map((m) => asDebugEntry(m.data)).filter((e): e is NetworkEntry => e?.kind === 'network');
      await until(() => lateNet().some((n) => n.url.endsWith('/api/down')), 30_000, 'late 503 row');
      expect(lateNet().find((n) => n.url.endsWith('/api/down'))).toMatchObject({ status: 503, session: 'late-tab', type: 'fetch' });
      r.close();
    } finally {
      await p.close();
      await late.close();
    }
  });
});
