import { describe, expect, it } from 'vitest';
import { asDebugEntry, asLogEntry, debugEntrySchema } from '../../packages/protocol/log-entry';
import { parseOrigin } from '../../terminal-viewer/stream/source-maps';

const common = { v: 1, level: 'info', ts: 1, seq: 1, session: 's', origin: 'browser' };
const net = { kind: 'network', ...common, type: 'fetch', method: 'GET', url: 'https://a.test/x', start: 0, status: 200, responseSize: 'unknown' };
const perf = { kind: 'performance', ...common, metric: 'LCP', value: 1200, rating: 'good', detail: { element: 'img#hero' } };

describe('LogEntry kinds: network and performance (v1)', () => {
  it('validates each kind; log entries are unchanged', () => {
    expect(debugEntrySchema.safeParse(net).success).toBe(true);
    expect(debugEntrySchema.safeParse(perf).success).toBe(true);
    expect(debugEntrySchema.safeParse({ kind: 'log', ...common, method: 'log', args: ['x'] }).success).toBe(true);
    expect(asDebugEntry(JSON.stringify(net))).toMatchObject({ kind: 'network', status: 200 });
  });

  it('an older viewer (asLogEntry) does not take the new kinds for log entries: it shows them as plain messages', () => {
    expect(asLogEntry(net)).toBeUndefined();
    expect(asLogEntry(perf)).toBeUndefined();
  });

  it('refuses what the server must not relay: unknown kinds and versions, bad sizes, unknown metrics, oversized fields', () => {
    for (const bad of [
      { ...net, v: 2 },
      { ...net, kind: 'netwrk' },
      { ...net, type: 'carrier-pigeon' },
      { ...net, responseSize: -1 },
      { ...net, responseSize: 'big' },
      { ...net, url: 'x'.repeat(5000) },
      { ...net, responseBody: 'x'.repeat(70_000) },
      { ...perf, metric: 'FID' },
      { ...perf, rating: 'great' },
      { ...perf, value: 'fast' },
    ]) {
      expect(debugEntrySchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
      expect(asDebugEntry(bad)).toBeUndefined();
    }
  });
});

describe('im-debug tail --source-maps-from', () => {
  it('takes http(s) origins only, with a clear error', () => {
    expect(parseOrigin('https://shop.test/app/bundle.js')).toBe('https://shop.test');
    expect(() => parseOrigin('shop.test')).toThrow(/not a URL: give an origin such as/);
    expect(() => parseOrigin('file:///etc/passwd')).toThrow(/must be an http\(s\) origin/);
  });
});
