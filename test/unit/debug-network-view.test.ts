import { describe, expect, it } from 'vitest';
import type { Message, NetworkEntry } from '../../packages/protocol';
import { netMatches, statusClass, type NetFilter } from '../../debug-viewer/network-view';
import { compileFilter, createRowStore } from '../../debug-viewer/state';

const e = (x: Partial<NetworkEntry>): NetworkEntry =>
  ({ kind: 'network', v: 1, level: 'info', ts: 1, seq: 1, session: 's', origin: 'browser', type: 'fetch', method: 'GET', url: 'https://a.test/api/x', start: 0, ...x }) as NetworkEntry;
const all: NetFilter = { status: '', method: '', text: '', session: '' };

describe('/debug Network view filters', () => {
  it('status classes: 2xx (and unknown), 3xx, 4xx, 5xx, failed', () => {
    expect([200, 101, 304, 404, 503].map((status) => statusClass(e({ status })))).toEqual(['2xx', '2xx', '3xx', '4xx', '5xx']);
    expect(statusClass(e({ failure: 'aborted' }))).toBe('failed');
    expect(statusClass(e({ type: 'resource' }))).toBe('2xx');
  });

  it('by status class, method (WS/SSE for sockets), URL text and session', () => {
    expect(netMatches(e({ status: 503 }), { ...all, status: '5xx' })).toBe(true);
    expect(netMatches(e({ status: 200 }), { ...all, status: '5xx' })).toBe(false);
    expect(netMatches(e({ method: 'POST' }), { ...all, method: 'POST' })).toBe(true);
    expect(netMatches(e({ type: 'websocket' }), { ...all, method: 'WS' })).toBe(true);
    expect(netMatches(e({}), { ...all, text: 'API/X' })).toBe(true);
    expect(netMatches(e({}), { ...all, session: 'other' })).toBe(false);
  });

  it('network rows in the console view: shown, hidden or the only ones; deduplicated like log entries', () => {
    const store = createRowStore(10);
    const m = (data: unknown): Message => ({ source: 'remote_debug', room_id: 'console-log', data }) as Message;
    const net = store.add(m(e({ status: 503 })))!;
    expect(store.add(m(e({ status: 503 })))).toBeUndefined(); // the same entry resent
    const log = store.add(m({ kind: 'log', v: 1, level: 'log', method: 'log', args: ['x'], ts: 2, seq: 2, session: 's', origin: 'browser' }))!;
    expect(net.args).toEqual(['GET 503 https://a.test/api/x']); // no page URL: the whole URL
    expect(net.level).toBe('info');
    const test = (network: 'show' | 'hide' | 'only') => {
      const f = compileFilter({ levels: new Set(['debug', 'log', 'info', 'warn', 'error']), text: '', regex: false, session: '', network });
      return f.ok ? [f.test(net), f.test(log)] : [];
    };
    expect(test('show')).toEqual([true, true]);
    expect(test('hide')).toEqual([false, true]);
    expect(test('only')).toEqual([true, false]);
  });
});
