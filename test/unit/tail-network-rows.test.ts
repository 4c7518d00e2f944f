import { describe, expect, it } from 'vitest';
import type { Message, NetworkEntry, PerformanceEntryData } from '../../packages/protocol';
import { entryLines } from '../../terminal-viewer/format/entry-lines';
import { networkSummary, performanceSummary, shortUrl } from '../../terminal-viewer/format/network';
import { plainLine } from '../../terminal-viewer/output/plain-writer';
import { toViewEntry } from '../../terminal-viewer/format/view-entry';
import { createFilter, matches, parseNetworkMode } from '../../terminal-viewer/state/filters';
import { createViewerState, reducer } from '../../terminal-viewer/state/reducer';

const base = { v: 1 as const, ts: Date.UTC(2026, 0, 1, 10), seq: 1, session: 'tab-1', origin: 'browser', page: { url: 'https://shop.test/cart' } };
const net = (extra: Partial<NetworkEntry>): NetworkEntry => ({ kind: 'network', level: 'info', type: 'fetch', method: 'GET', url: 'https://shop.test/api/x', start: base.ts - 120, ...base, ...extra }) as NetworkEntry;
const msg = (data: unknown): Message => ({ source: 'remote_debug', room_id: 'console-log', data }) as Message;

describe('im-debug tail: network and performance rows', () => {
  it('one line per request: NET, method, status or failure, path, duration, size', () => {
    expect(networkSummary(net({ status: 503, level: 'error', duration: 120, responseSize: 20 }))).toBe('GET 503 /api/x 120 ms 20 B');
    expect(networkSummary(net({ failure: 'aborted', duration: 50.4 }))).toBe('GET aborted /api/x 50 ms');
    expect(networkSummary(net({ url: 'https://cdn.test/a.js', status: 200, duration: 3.25, responseSize: 2048, type: 'xhr' }))).toBe('GET 200 https://cdn.test/a.js 3.3 ms 2.0 KB [xhr]');
    expect(networkSummary(net({ type: 'websocket', url: 'wss://shop.test/ws', event: 'close', code: 1000, duration: 2000, messages: { sent: 2, received: 1, sentBytes: 8, receivedBytes: 4 } }))).toBe(
      'WS close 1000 wss://shop.test/ws 2000 ms ↑2 8 B ↓1 4 B',
    );
    expect(networkSummary(net({ type: 'resource', method: '', status: 200, beforeHook: true, initiator: 'fetch', duration: 5 }))).toBe('? 200 /api/x 5 ms [before hook: fetch]');
    expect(shortUrl('https://shop.test/a?b=1', 'https://shop.test/')).toBe('/a?b=1');
    expect(networkSummary(net({ url: 'https://shop.test/\u001b[31mred', status: 200 }))).not.toContain('\u001b');
  });

  it('the piped line and the interactive row say NET; --json keeps the message as received', () => {
    const entry = toViewEntry(msg(net({ status: 503, level: 'error', duration: 120 })), 1, 0);
    expect(entry.kind).toBe('network');
    expect(plainLine(entry, { multiRoom: false })).toMatch(/^\S+Z NET {3}\[tab-1\] GET 503 \/api\/x 120 ms$/);
    const [line] = entryLines(entry, { multiRoom: false, json: false, expanded: false });
    expect(line!.left.map((s) => s.text).join('')).toMatch(/ NET tab-1 GET 503 \/api\/x 120 ms$/);
    const expanded = entryLines(toViewEntry(msg(net({ status: 200, responseHeaders: { 'content-type': 'text/plain' }, timing: { ttfb: 12 } })), 2, 0), { multiRoom: false, json: false, expanded: true });
    const text = expanded.map((l) => l.left.map((s) => s.text).join('')).join('\n');
    expect(text).toContain('response headers');
    expect(text).toContain('content-type: text/plain');
    expect(text).toContain('timing ttfb 12 ms');
  });

  it('performance rows read at a glance', () => {
    const lcp: PerformanceEntryData = { kind: 'performance', level: 'info', metric: 'LCP', value: 1234, rating: 'good', detail: { element: 'img#hero' }, ...base };
    expect(performanceSummary(lcp)).toBe('LCP 1234 ms good (img#hero)');
    expect(performanceSummary({ ...lcp, metric: 'CLS', value: 0.12, rating: 'needs-improvement', detail: undefined })).toBe('CLS 0.12 needs-improvement');
    expect(performanceSummary({ ...lcp, metric: 'navigation', value: 800, rating: 'good', detail: { ttfb: 100, domContentLoaded: 400, load: 800 } })).toBe(
      'navigation load 800 ms · TTFB 100 ms · DOMContentLoaded 400 ms (TTFB good)',
    );
    expect(plainLine(toViewEntry(msg(lcp), 1, 0), { multiRoom: false })).toContain(' PERF  [tab-1] LCP 1234 ms good');
  });

  it('--network only|hide, and the n key cycles show → only → hide', () => {
    const n = toViewEntry(msg(net({ status: 200 })), 1, 0);
    const l = toViewEntry(msg({ kind: 'log', level: 'log', method: 'log', args: ['x'], ...base }), 2, 0);
    expect([matches(n, createFilter({ network: 'only' })), matches(l, createFilter({ network: 'only' }))]).toEqual([true, false]);
    expect([matches(n, createFilter({ network: 'hide' })), matches(l, createFilter({ network: 'hide' }))]).toEqual([false, true]);
    expect(() => parseNetworkMode('sometimes')).toThrow(/only, hide or show/);
    let s = reducer(createViewerState(), { type: 'append', messages: [msg(net({ status: 200 })), msg({ kind: 'log', level: 'log', method: 'log', args: ['x'], ...base })], receivedAt: 0 });
    expect(s.shown).toHaveLength(2);
    s = reducer(s, { type: 'key', input: 'n', key: {} });
    expect(s.shown.map((e) => e.kind)).toEqual(['network']);
    s = reducer(s, { type: 'key', input: 'n', key: {} });
    expect(s.shown.map((e) => e.kind)).toEqual(['log']);
    s = reducer(s, { type: 'key', input: 'n', key: {} });
    expect(s.shown).toHaveLength(2);
  });

  it('an entry of an unknown kind or version is a plain row, as old viewers show new kinds', () => {
    expect(toViewEntry(msg({ ...net({ status: 200 }), v: 2 }), 1, 0).kind).toBe('plain');
    expect(toViewEntry(msg({ kind: 'future', v: 1 }), 1, 0).kind).toBe('plain');
  });
});
