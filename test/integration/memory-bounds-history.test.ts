import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryResult } from '../../packages/protocol';
import { Redis } from 'ioredis';
import { createMemoryHistoryStore, type HistoryStore } from '../../server/relay/history-store';
import { createRedisHistoryStore } from '../../server/relay/redis-history-store';
import { boundHits } from '../helpers/bound-hits';
import { connectClient, emitAck } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

// History kept within its byte bounds, and history answers within the output budget (the other
// memory bounds: memory-bounds-presence.test.ts, memory-bounds-hook-connections.test.ts).

const hasRedis = await requireRedis();

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
