import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult, HistoryResult } from '../../packages/protocol';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { Redis } from 'ioredis';
import { createMemoryHistoryStore, type HistoryStore } from '../../server/relay/history-store';
import { createRedisHistoryStore } from '../../server/relay/redis-history-store';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { hookTransport } from '../helpers/hook-transport';

const hasRedis = await requireRedis();

type ServerCfg = Parameters<typeof startServer>[0];

async function boundHits(server: TestServer, bound: string, source?: string): Promise<number> {
  const { values } = await server.metrics.boundHits.get();
  return values.filter((v) => v.labels.bound === bound && (source === undefined || v.labels.source === source)).reduce((a, v) => a + v.value, 0);
}

function emitAck<T = undefined>(socket: TestSocket, event: string, ...args: unknown[]): Promise<AckResult<T>> {
  return new Promise((resolve) => (socket.emit as any)(event, ...args, resolve));
}

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

describe('history bytes across rooms', () => {
  let server: TestServer;
  const data = 'h'.repeat(4000);
  beforeAll(async () => {
    // About 8 KB counted per message: 100 fit in 800 KB.
    server = await startServer({ history: { size: 200, maxAgeSeconds: 3600, maxBytes: 800_000, maxRoomBytes: 0 } });
  });
  afterAll(() => server.close());

  it('many rooms\' history: the oldest go past history.maxBytes, counted; the newest room is whole', async () => {
    for (let r = 0; r < 30; r++) {
      for (let i = 0; i < 10; i++) expect((await postForm(server.url, signedNotify(`hist-${r}`, `${r}-${i}-${data}`))).status).toBe(200);
    }
    const reader = await connectClient(server.url, { roomIds: 'hist-0,hist-29' });
    const oldest = await emitAck<HistoryResult>(reader, 'history', { room_id: 'hist-0' });
    const newest = await emitAck<HistoryResult>(reader, 'history', { room_id: 'hist-29' });
    reader.close();
    expect(oldest).toMatchObject({ ok: true, result: { messages: [] } });
    expect(newest.ok && newest.result.messages.map((m) => String(m.data).split('-').slice(0, 2).join('-'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `29-${i}`),
    );
    const dropped = await boundHits(server, 'history_bytes', 'demo');
    expect(dropped).toBeGreaterThanOrEqual(300 - 100);
    expect(dropped).toBeLessThan(300);
  });
});

describe('unsigned hook floods: connection caps refuse with a clear code', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      sources: {
        demo: { signKey: 'try4dfs%#fs!#$2334ds(%B)' },
        remote_debug: { signKey: '5iwdf$%sdfss!#$2334ds(%B)', hook: { rooms: ['console-log'] } },
      },
      limits: { maxHookConnectionsPerIp: 4, maxHookConnectionsPerSource: 6 },
    });
  });
  afterAll(() => server.close());

  const hook = (ip?: string) =>
    io(`${server.url}?source=remote_debug&room_ids=console-log&role=publisher`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(ip ? { extraHeaders: { 'x-forwarded-for': ip } } : {}),
    });
  const outcome = (s: ReturnType<typeof hook>) =>
    new Promise<{ ok: true } | { ok: false; code?: string; message: string }>((resolve) => {
      s.once('connect', () => resolve({ ok: true }));
      s.once('connect_error', (err: Error & { data?: { code?: string } }) => resolve({ ok: false, code: err.data?.code, message: err.message }));
    });

  it('per address and per source; signed clients from that address still connect; counted', async () => {
    const sockets = Array.from({ length: 4 }, () => hook());
    expect(await Promise.all(sockets.map(outcome))).toEqual(Array(4).fill({ ok: true }));
    const fifth = hook();
    expect(await outcome(fifth)).toEqual({
      ok: false,
      code: 'TOO_MANY_CONNECTIONS',
      message: 'too many open connections of unsigned hooks from this IP address (at most 4); close one and retry',
    });
    fifth.close();
    // A signed reader from the same address is not an unsigned hook.
    const reader = await connectClient(server.url, { userid: 'reader' });
    expect(await boundHits(server, 'hook_connections_per_ip', 'remote_debug')).toBe(1);
    // The per-source cap holds across addresses (a loopback proxy's X-Forwarded-For names them).
    const more = [hook('198.51.100.7'), hook('198.51.100.7'), hook('198.51.100.8')];
    const got = await Promise.all(more.map(outcome));
    expect(got.filter((g) => g.ok)).toHaveLength(2);
    expect(got.find((g) => !g.ok)).toEqual({
      ok: false,
      code: 'TOO_MANY_CONNECTIONS',
      message: 'too many open connections of unsigned hooks for source remote_debug (at most 6); close one and retry',
    });
    expect(await boundHits(server, 'hook_connections_per_source', 'remote_debug')).toBe(1);
    for (const s of more) s.close();
    for (const s of sockets) s.close();
    reader.close();
    await until(() => server.context.security.connections.open.ips === 0, 5000, 'all connections released');
    const again = hook();
    expect(await outcome(again)).toEqual({ ok: true });
    again.close();
  });

  it('a browser hook turned away by the cap keeps its entries and gets in once a place frees up', async () => {
    await until(() => server.context.security.connections.open.hookIps === 0, 5000, 'earlier hooks released');
    const blockers = Array.from({ length: 4 }, () => hook());
    expect(await Promise.all(blockers.map(outcome))).toEqual(Array(4).fill({ ok: true }));
    const { transport, buffer, diags } = hookTransport(server.url, 'late-hook');
    try {
      buffer.push({ kind: 'log', v: 1, level: 'info', method: 'log', args: ['kept while refused'], ts: Date.now(), seq: 1, session: 'late', origin: 'browser' } as never);
      transport.schedule();
      await until(() => diags.some((d) => d.includes('TOO_MANY_CONNECTIONS')), 10_000, 'the diagnostic');
      expect(diags[0]).toMatch(/turned the hook away for now \(TOO_MANY_CONNECTIONS\).*keeping entries and retrying/);
      expect(transport.status()).toMatchObject({ connected: false, buffered: 1, sent: 0 });
      blockers[0]!.close();
      await until(() => transport.status().sent === 1, 15_000, 'the entry delivered');
    } finally {
      transport.close();
      for (const b of blockers) b.close();
    }
  });

  it('the default caps are on', async () => {
    const defaults = await startServer();
    try {
      expect(defaults.context.config.limits).toMatchObject({ maxConnectionsPerIp: 256, maxHookConnectionsPerIp: 8, maxHookConnectionsPerSource: 256 });
      expect(defaults.context.config.history).toMatchObject({ maxBytes: 64 * 1024 * 1024, maxRoomBytes: 4 * 1024 * 1024 });
      expect(defaults.context.config.presence).toMatchObject({ maxUsersPerSource: 5000, pageViews: { maxPerSource: 5000 } });
    } finally {
      await defaults.close();
    }
  });
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

describe('history answers wait their turn while output is at its budget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ limits: { maxQueuedBytes: 2 * 1024 * 1024, maxHistoryAnswerBytes: 1024 * 1024 } });
  });
  afterAll(() => server.close());

  it('ten readers asking at once: some are told RATE_LIMITED, every one gets its page on retry, counted', async () => {
    const data = 'a'.repeat(30_000);
    for (let i = 0; i < 40; i++) expect((await postForm(server.url, signedNotify('big-room', `${i}-${data}`))).status).toBe(200);
    const readers = await Promise.all(Array.from({ length: 10 }, (_, i) => connectClient(server.url, { userid: `r${i}`, roomIds: 'big-room' })));
    const first = await Promise.all(readers.map((r) => emitAck<HistoryResult>(r, 'history', { room_id: 'big-room' })));
    const refused = first.filter((a) => !a.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'the server is sending much right now: retry this history read in a moment' },
    });
    expect(first.filter((a) => a.ok).length).toBeGreaterThan(0);
    // Each refused reader retries, as the SDK does, until its page comes.
    for (const [i, r] of readers.entries()) {
      if (first[i]!.ok) continue;
      await until(async () => (await emitAck<HistoryResult>(r, 'history', { room_id: 'big-room' })).ok, 20_000, `reader ${i}'s page`);
    }
    expect(await boundHits(server, 'history_answers_deferred')).toBeGreaterThanOrEqual(refused.length);
    for (const r of readers) r.close();
  }, 60_000);
});

describe('history bytes per room (memory and Redis stores)', () => {
  const prefix = `bounds-h-${randomUUID().slice(0, 8)}`;
  const redis = hasRedis ? new Redis(REDIS_URL) : undefined;
  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  const kinds: Array<[string, (onEvict: (n: number) => void) => HistoryStore]> = [
    ['memory', (onEvict) => createMemoryHistoryStore({ size: 200, maxAgeMs: 3_600_000, maxRoomBytes: 50_000, onEvict: (_w, n) => onEvict(n) })],
    ...(redis
      ? [['redis', (onEvict: (n: number) => void) => createRedisHistoryStore({ redis, prefix, size: 200, maxAgeMs: 3_600_000, positionTtlSeconds: 3600, maxRoomBytes: 50_000, onEvict })] as [string, (onEvict: (n: number) => void) => HistoryStore]]
      : []),
  ];

  it.each(kinds)('%s: the oldest go past maxRoomBytes, the newest stays, counted; offsets go on', async (_kind, make) => {
    let evicted = 0;
    const store = make((n) => (evicted += n));
    const room = `demo:bytes-${randomUUID().slice(0, 6)}`;
    let last = 0;
    for (let i = 0; i < 30; i++) last = (await store.append(room, { source: 'demo', room_id: 'r', data: `${String(i).padStart(2, '0')}${'b'.repeat(5000)}`, ts: Date.now() })).offset!;
    const kept = (await store.read(room, { room_id: 'r' }, 500)).messages;
    expect(kept.length).toBeGreaterThan(2);
    expect(kept.length).toBeLessThan(30);
    expect(kept[kept.length - 1]!.offset).toBe(last);
    expect(evicted).toBe(30 - kept.length);
    // One message bigger than the bound alone: it is kept, the rest go.
    const huge = await store.append(room, { source: 'demo', room_id: 'r', data: 'h'.repeat(80_000), ts: Date.now() });
    expect((await store.read(room, { room_id: 'r' }, 500)).messages.map((m) => m.offset)).toEqual([huge.offset]);
    expect(huge.offset).toBe(last + 1);
  });
});
