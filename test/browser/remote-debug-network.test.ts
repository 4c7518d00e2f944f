import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Message, type NetworkEntry, type PerformanceEntryData } from '../../packages/protocol';
import type { TestBrowser } from '../helpers/browser';
import type { TestSocket } from '../helpers/connect-client';
import { FETCH_OK_LINE, SECRET_TOKEN, networkCapture, type ApiSite } from '../helpers/network-site';
import { requireChromium } from '../helpers/requirements';
import { runImDebug } from '../helpers/run-im-debug';
import type { TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { SEED_SIGN, openDebugPage } from './remote-debug-fixtures';

// What the hook records of each kind of request a page makes (fetch, XMLHttpRequest, beacons,
// EventSource, WebSocket, before the hook loaded), and how /debug and im-debug tail show them.
// Capture options and other wrappers: remote-debug-network-options.test.ts; Web Vitals:
// remote-debug-performance.test.ts; source maps: remote-debug-source-maps.test.ts.

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('remote debug: network capture in Chromium', () => {
  const capture = networkCapture();
  const { received, entries, network, waitNet, run } = capture;
  let relay: TestServer, site: ApiSite, browser: TestBrowser, reader: TestSocket, closedPort: number;
  beforeAll(async () => void ({ relay, site, browser, reader, closedPort } = await capture.start()));
  afterAll(() => capture.close());
  it('fetch: success with the initiator call site, headers readable, secrets redacted before they leave the page', async () => {
    expect(await run('tests.fetchOk()')).toEqual({ ok: true });
    const e = await waitNet((n) => n.type === 'fetch' && n.url.includes('/api/ok?token'), 'fetch ok');
    expect(e).toMatchObject({
      kind: 'network',
      v: 1,
      level: 'info',
      method: 'GET',
      status: 200,
      url: `${site.url}/api/ok?token=[redacted]&x=1`,
      responseSize: 11,
      requestHeaders: { authorization: '[redacted]', 'x-custom': 'visible' },
      callSite: { file: `${site.url}/app.js`, line: FETCH_OK_LINE },
    });
    expect(e.responseHeaders).toMatchObject({ 'content-type': 'application/json', 'content-length': '11' });
    expect(e.duration).toBeGreaterThanOrEqual(0);
    expect(e.start).toBeLessThanOrEqual(e.ts);
    expect(e.responseBody).toBeUndefined(); // bodies are off by default
    // Nothing the relay received or keeps carries the secrets.
    const all = JSON.stringify(received);
    expect(all).not.toContain(SECRET_TOKEN);
    expect(all).not.toContain('s3cr3t-bearer-value');
    const history = await new Promise<unknown>((resolve) => reader.emit('history', { room_id: 'console-log' }, resolve));
    expect(JSON.stringify(history)).toContain('[redacted]');
    expect(JSON.stringify(history)).not.toContain(SECRET_TOKEN);
    expect(JSON.stringify(history)).not.toContain('s3cr3t-bearer-value');
  });

  it('fetch: an HTTP error, a Request object with a body, abort, timeout, a refused connection', async () => {
    expect(await run('tests.fetchDown()')).toBe('503 Service Unavailable');
    expect(await run('tests.fetchRequest()')).toBe(201);
    expect(await run('tests.fetchAbort()')).toBe('AbortError');
    expect(await run('tests.fetchTimeout()')).toBe('TimeoutError');
    expect(await run(`tests.fetchRefused('http://127.0.0.1:${closedPort}/x')`)).toMatch(/^TypeError: Failed to fetch/);

    expect(await waitNet((n) => n.url.endsWith('/api/down'), '503')).toMatchObject({ level: 'error', status: 503, statusText: 'Service Unavailable', responseSize: 20 });
    expect(await waitNet((n) => n.type === 'fetch' && n.url.endsWith('/api/post'), 'request object')).toMatchObject({
      method: 'POST',
      status: 201,
      requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const aborted = await waitNet((n) => n.url.endsWith('/api/slow') && n.failure === 'aborted', 'aborted');
    expect(aborted.level).toBe('error');
    expect(aborted.status).toBeUndefined();
    await waitNet((n) => n.url.endsWith('/api/slow') && n.failure === 'timeout', 'timeout');
    expect(await waitNet((n) => n.url.includes(`:${closedPort}/`), 'refused')).toMatchObject({ failure: 'network error', level: 'error' });
  });

  it('fetch: a streaming response reaches the page chunk by chunk, untouched', async () => {
    expect(await run('tests.fetchStream()')).toBe('chunk-1;chunk-2;chunk-3; reads>=true');
    const e = await waitNet((n) => n.url.endsWith('/api/stream'), 'stream');
    expect(e.status).toBe(200);
    // No Content-Length: the size is Resource Timing's (same origin), or unknown; never read by the hook.
    expect([24, 'unknown']).toContain(e.responseSize);
    expect(await run('tests.fetchBinary()')).toBe(8);
  });

  it('XMLHttpRequest: async, sync, 404, abort, timeout, refused, and responseTypes as the page asked', async () => {
    expect(await run(`tests.xhr('GET', '/api/ok?password=p4ss')`)).toMatchObject({ status: 200, body: 11, states: expect.stringMatching(/^23+4$/) });
    // Sync: loadend fires inside send(), as without the hook.
    expect(await run(`tests.xhr('GET', '/api/ok', { sync: true })`)).toMatchObject({ status: 200, body: 11, states: '4' });
    expect(await run(`tests.xhr('GET', '/api/missing')`)).toMatchObject({ status: 404 });
    expect(await run(`tests.xhr('GET', '/api/slow', { abort: true })`)).toMatchObject({ status: 0 });
    expect(await run(`tests.xhr('GET', '/api/slow', { timeout: 100 })`)).toMatchObject({ status: 0 });
    expect(await run(`tests.xhr('GET', 'http://127.0.0.1:${closedPort}/x')`)).toMatchObject({ status: 0 });
    expect(await run(`tests.xhr('GET', '/api/binary', { responseType: 'arraybuffer' })`)).toMatchObject({ status: 200, body: 8 });
    expect(await run(`tests.xhr('GET', '/api/ok', { responseType: 'json' })`)).toMatchObject({ status: 200, body: '{"ok":true}' });

    const ok = await waitNet((n) => n.type === 'xhr' && n.url.includes('password='), 'xhr ok');
    expect(ok).toMatchObject({ method: 'GET', status: 200, url: `${site.url}/api/ok?password=[redacted]`, requestHeaders: { authorization: '[redacted]' }, responseSize: 11 });
    expect(ok.callSite?.file).toBe(`${site.url}/app.js`);
    await until(() => network().filter((n) => n.type === 'xhr' && n.url === `${site.url}/api/ok` && n.status === 200).length >= 2, 20_000, 'sync + json xhr');
    expect(await waitNet((n) => n.type === 'xhr' && n.url.endsWith('/api/missing'), 'xhr 404')).toMatchObject({ level: 'warn', status: 404 });
    await waitNet((n) => n.type === 'xhr' && n.failure === 'aborted', 'xhr aborted');
    await waitNet((n) => n.type === 'xhr' && n.failure === 'timeout', 'xhr timeout');
    await waitNet((n) => n.type === 'xhr' && n.failure === 'network error' && n.url.includes(`:${closedPort}/`), 'xhr refused');
    expect(JSON.stringify(received)).not.toContain('s3cr3t-bearer-value');
  });

  it('sendBeacon, EventSource and WebSocket: lifecycle rows with message counts and sizes, never contents', async () => {
    expect(await run('tests.beacon()')).toBe(true);
    expect(await run('tests.sse()')).toBe('one,two');
    expect(await run('tests.ws()')).toBe('1000 string,object');
    expect(await run(`tests.wsRefused('ws://127.0.0.1:${closedPort}/nothing')`)).toBe(1006);
    expect(await run('tests.beaconTooLarge()')).toBe(false); // over the browser's 64 KB beacon quota
    expect(await run('tests.sseRefused()')).toBe(2); // CLOSED: a 404 is not an event stream

    expect(await waitNet((n) => n.type === 'beacon', 'beacon')).toMatchObject({ method: 'POST', url: `${site.url}/api/post?key=[redacted]`, requestSize: 6, statusText: 'queued' });
    expect(await waitNet((n) => n.type === 'beacon' && n.url.endsWith('big=1'), 'beacon refused')).toMatchObject({ level: 'error', failure: expect.stringMatching(/^not queued/), requestSize: 70000 });
    expect(await waitNet((n) => n.type === 'eventsource' && n.url.endsWith('/api/missing'), 'sse refused')).toMatchObject({ event: 'error', level: 'error', failure: expect.stringMatching(/closed/) });
    await waitNet((n) => n.type === 'eventsource' && n.event === 'open', 'sse open');
    expect(await waitNet((n) => n.type === 'eventsource' && n.event === 'close', 'sse close')).toMatchObject({ messages: { received: 2, receivedBytes: 6 } });
    expect(await waitNet((n) => n.type === 'websocket' && n.event === 'open', 'ws open')).toMatchObject({ status: 101, url: `ws://${new URL(site.url).host}/ws` });
    const closed = await waitNet((n) => n.type === 'websocket' && n.event === 'close' && n.url.endsWith('/ws'), 'ws close');
    expect(closed).toMatchObject({ code: 1000, reason: 'done', level: 'info', messages: { sent: 2, received: 2, sentBytes: 8, receivedBytes: 8 } });
    expect(JSON.stringify(closed)).not.toContain('hello');
    await waitNet((n) => n.type === 'websocket' && n.event === 'error' && n.url.includes(`:${closedPort}/`), 'ws error');
    expect(await waitNet((n) => n.type === 'websocket' && n.event === 'close' && n.url.includes(`:${closedPort}/`), 'ws refused close')).toMatchObject({ code: 1006, level: 'error' });
  });

  it('requests from before the hook loaded come from Resource Timing, marked; the hook never reports its own traffic', async () => {
    const early = await waitNet((n) => n.url.endsWith('/api/ok?early=1'), 'early fetch');
    expect(early).toMatchObject({ type: 'resource', beforeHook: true, initiator: 'fetch', method: '' });
    const nav = await waitNet((n) => n.type === 'navigation', 'navigation');
    expect(nav).toMatchObject({ url: `${site.url}/page.html`, beforeHook: true, status: 200 });
    await until(() => entries().some((e) => e.kind === 'performance' && e.metric === 'navigation'), 20_000, 'navigation timing');
    const perf = entries().find((e): e is PerformanceEntryData => e.kind === 'performance' && e.metric === 'navigation')!;
    expect(perf.detail).toMatchObject({ ttfb: expect.any(Number), domContentLoaded: expect.any(Number), load: expect.any(Number) });
    // The relay connection (Engine.IO polling and its WebSocket) and the hook script itself: never rows.
    expect(network().filter((n) => n.url.startsWith(`${relay.url}/socket.io/`) || n.url.endsWith('/node_im_remote_debug.js'))).toEqual([]);
  });

  it('/debug shows a Network view and the rows in the console view; im-debug tail prints NET rows', async () => {
    expect(await run('tests.fetchDown()')).toBe('503 Service Unavailable');
    expect(await run('tests.ws()')).toBe('1000 string,object');
    await waitNet((n) => n.type === 'websocket' && n.event === 'close' && n.url.endsWith('/ws'), 'ws close');
    await waitNet((n) => n.url.endsWith('/api/down'), '503');
    const viewer = await browser.newPage();
    await openDebugPage(viewer, relay.url);
    // Console view: network rows interleaved with log rows.
    await viewer.waitForFunction(() => document.querySelectorAll('#list .row[data-kind="network"][data-status="503"]').length > 0, undefined, { timeout: 20_000 });
    const down = await viewer.$eval('#list .row[data-kind="network"][data-status="503"] .msg', (n) => n.textContent);
    expect(down).toMatch(/GET\s+503\s+.*\/api\/down/);
    // Performance entries at a glance: the navigation timing as one row with its rating.
    const perfRow = await viewer.waitForSelector('#list .row[data-kind="performance"]:has-text("navigation load")', { timeout: 20_000 });
    expect(await perfRow.textContent()).toMatch(/navigation load \d+ ms · TTFB \d+ ms · DOMContentLoaded \d+ ms/);
    // Network rows can be hidden from the console view.
    await viewer.selectOption('#network-rows', 'hide');
    expect(await viewer.$$eval('#list .row[data-kind="network"]', (rows) => rows.length)).toBe(0);
    await viewer.selectOption('#network-rows', 'show');
    // Network view: a table with a status class filter.
    await viewer.click('#view-network');
    await viewer.waitForSelector('#net-list .net-row:not(.net-head)', { timeout: 10_000 });
    await viewer.selectOption('#net-status', '5xx');
    const shown = await viewer.$$eval('#net-list .net-row:not(.net-head)', (rows) =>
      rows.map((r) => [r.querySelector('.net-method')!.textContent, r.querySelector('.net-status')!.textContent, r.querySelector('.net-url')!.textContent]),
    );
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every(([, status]) => /^5\d\d$/.test(status!))).toBe(true);
    expect(shown).toContainEqual(['GET', '503', '/api/down']);
    await viewer.click('#net-list .net-row:not(.net-head)');
    const details = await viewer.$eval('#net-detail', (n) => n.textContent ?? '');
    expect(details).toContain('Response headers');
    expect(details).toContain('content-length');
    await viewer.close();

    const tail = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--network', 'only']);
    const { code } = await tail.exited;
    expect(code).toBe(0);
    const lines = tail.stdout.filter(Boolean);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((l) => / NET /.test(l))).toBe(true);
    // Under 10 ms a duration shows with a decimal (6.4 ms): a quick answer is still a duration.
    expect(lines.some((l) => / NET .*GET 503 \/api\/down \d+(\.\d)? ms/.test(l))).toBe(true);
    expect(lines.some((l) => / NET .*WS close 1000 ws:\/\/.*\/ws/.test(l))).toBe(true);
    // --network hide: the console and the measurements, no requests; --json carries the entries as received.
    const hidden = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--network', 'hide']);
    expect((await hidden.exited).code).toBe(0);
    expect(hidden.stdout.some((l) => / NET /.test(l))).toBe(false);
    expect(hidden.stdout.some((l) => / PERF .*navigation load/.test(l))).toBe(true);
    const json = runImDebug(['tail', '--room', 'console-log', '--server', relay.url, '--sign', SEED_SIGN, '--tail', '500', '--no-follow', '--json', '--network', 'only']);
    expect((await json.exited).code).toBe(0);
    const parsed = json.stdout.filter(Boolean).map((l) => JSON.parse(l) as Message);
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.every((m) => (m.data as NetworkEntry).kind === 'network')).toBe(true);
    expect(parsed.map((m) => m.data as NetworkEntry)).toContainEqual(expect.objectContaining({ status: 503, url: `${site.url}/api/down` }));
  });
});
