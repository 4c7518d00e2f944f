import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { boundHits } from '../helpers/bound-hits';
import { connectClient, emitAck } from '../helpers/connect-client';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

// Presence kept within its bounds: made-up users and page views, live monitor streams per source
// (the other memory bounds: memory-bounds-history.test.ts, memory-bounds-hook-connections.test.ts).

const hasRedis = await requireRedis();

type ServerCfg = Parameters<typeof startServer>[0];

/** 300 made-up userids, each connecting once and sending 30 page views (a legacy sign does not cover the userid). */
async function fakeUsers(server: TestServer, users: number, views: number): Promise<void> {
  const run = async (u: number) => {
    const s = await connectClient(server.url, { userid: `fake-${u}`, username: `fake ${u}` });
    for (let v = 0; v < views; v++) {
      const res = await emitAck(s, 'pageView', { url: `https://shop.test/${u}/${v}`, title: 'x'.repeat(100) });
      expect(res).toEqual({ ok: true });
    }
    s.close();
  };
  // Twenty at a time: under the per-address connection cap, and quick.
  for (let u = 0; u < users; u += 20) await Promise.all(Array.from({ length: Math.min(20, users - u) }, (_, i) => run(u + i)));
}

const stores: Array<[string, () => ServerCfg]> = [
  ['memory', () => ({})],
  ...(hasRedis ? [['redis', () => ({ adapter: { type: 'redis' as const, url: REDIS_URL, prefix: `bounds-${randomUUID().slice(0, 8)}` } })] as [string, () => ServerCfg]] : []),
];

describe.each(stores)('fake users and page views stay bounded (%s store)', (_name, adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ...adapter(), presence: { maxUsersPerSource: 100, pageViews: { max: 50, maxAgeSeconds: 86_400, recent: 200, maxPerSource: 2000 } } });
  });
  afterAll(() => server.close());

  it('300 made-up userids × 30 views: at most 100 users and 2000 views are kept, the rest counted', async () => {
    await fakeUsers(server, 300, 30);
    const store = server.presence.store;
    const today = new Date().toISOString().slice(0, 10);
    await until(async () => (await store.seen('demo', today)).length > 0, 10_000, 'seen users recorded');
    const seen = await store.seen('demo', today);
    expect(seen.length).toBeLessThanOrEqual(100);
    // The most recent users are the ones kept; the first ones went.
    expect(seen.map((u) => u.userid)).toContain('fake-299');
    expect(seen.map((u) => u.userid)).not.toContain('fake-0');
    expect(await store.pageViews('demo', 'fake-0', 50)).toEqual([]);
    expect((await store.pageViews('demo', 'fake-299', 50)).length).toBe(30);
    let kept = 0;
    for (let u = 0; u < 300; u++) kept += (await store.pageViews('demo', `fake-${u}`, 50)).length;
    expect(kept).toBeLessThanOrEqual(2000);
    expect(kept).toBeGreaterThan(1000);
    expect(await boundHits(server, 'presence_users', 'demo')).toBeGreaterThanOrEqual(200);
    expect(await boundHits(server, 'page_views', 'demo')).toBeGreaterThanOrEqual(9000 - 2000);
    // A real user still works after the flood: connected, tracked, listed.
    const real = await connectClient(server.url, { userid: 'real-user', username: 'Real' });
    expect(await emitAck(real, 'pageView', { url: 'https://shop.test/cart' })).toEqual({ ok: true });
    await until(async () => (await store.pageViews('demo', 'real-user', 5)).length === 1, 5000, 'the real user\'s view kept');
    await until(async () => (await store.seen('demo', today)).some((u) => u.userid === 'real-user'), 5000, 'the real user seen');
    real.close();
  }, 120_000);
});

describe('live monitor streams per source', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  /** A monitor sign as a page link carries it: replayable within the signature window. */
  const streamUrl = (source: 'demo' | 'remote_debug') => {
    const ts = String(Math.floor(Date.now() / 1000));
    const sign = operatorSign(DEMO_SOURCES[source].signKey, 'monitor', source, '', ts);
    return `${server.url}/api/presence/stream?source=${source}&ts=${ts}&sign=${sign}`;
  };

  it('201 streams of two sources: one source gets its 50, the other still gets its stream', async () => {
    const controller = new AbortController();
    try {
      const open = (source: 'demo' | 'remote_debug') => fetch(streamUrl(source), { signal: controller.signal });
      const demo = await Promise.all(Array.from({ length: 200 }, () => open('demo')));
      const statuses = demo.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
      expect(statuses.filter((s) => s === 429)).toHaveLength(150);
      const refused = demo.find((r) => r.status === 429)!;
      expect(await refused.json()).toMatchObject({
        code: 0,
        error: 'TOO_MANY_CONNECTIONS',
        msg: 'this instance already serves 50 live streams of source demo; close one and retry',
      });
      const other = await open('remote_debug');
      expect(other.status).toBe(200);
      expect(other.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = (other.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes('event: hello')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"source":"remote_debug"');
      expect(await boundHits(server, 'monitor_streams_per_source', 'demo')).toBe(150);
    } finally {
      controller.abort();
    }
    // Closed streams give their places back.
    await until(async () => (await fetch(streamUrl('demo'), { signal: AbortSignal.timeout(5000) }).then((r) => { void r.body?.cancel(); return r.status; })) === 200, 10_000, 'a demo stream again');
  }, 60_000);
});
