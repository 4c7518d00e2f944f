import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ImError, type Message } from '../../packages/protocol';
import { createMemoryHistoryStore, type HistoryStore } from '../../server/relay/history-store';
import { createRedisHistoryStore } from '../../server/relay/redis-history-store';
import { dropPrefix, uniquePrefix } from '../helpers/cluster';
import { freePort } from '../helpers/redis-server';
import { REDIS_URL, requireRedis } from '../helpers/requirements';

const hasRedis = await requireRedis();

interface StoreOptions {
  size: number;
  maxAgeMs: number;
  now: () => number;
}

const prefix = uniquePrefix();
const connections: Redis[] = [];

function redisStore(o: StoreOptions, storePrefix = prefix): HistoryStore {
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  connections.push(redis);
  return createRedisHistoryStore({ redis, prefix: storePrefix, positionTtlSeconds: 3600, ...o });
}

const kinds: Array<[string, (o: StoreOptions) => HistoryStore]> = [['memory', (o) => createMemoryHistoryStore(o)]];
if (hasRedis) kinds.push(['redis', (o) => redisStore(o)]);

afterAll(async () => {
  connections.forEach((c) => c.disconnect());
  if (hasRedis) await dropPrefix(REDIS_URL, prefix);
});

let roomSeq = 0;
const msg = (data: unknown, ts: number): Message => ({ source: 'demo', data, room_id: 'r', ts });

describe.each(kinds)('room history (%s)', (_kind, make) => {
  const room = () => `demo:room-${++roomSeq}-${_kind}`;

  it('numbers each room from 1 and keeps the last `size` messages, oldest first', async () => {
    const store = make({ size: 3, maxAgeMs: 60_000, now: () => 1000 });
    const [r1, r2] = [room(), room()];
    const out: Message[] = [];
    for (let i = 1; i <= 5; i++) out.push(await store.append(r1, msg(i, 1000)));
    const other = await store.append(r2, msg('x', 1000));
    expect(out.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(out.map((m) => m.epoch)).size).toBe(1);
    expect(other.offset).toBe(1);

    const latest = await store.read(r1, { room_id: 'r' }, 100);
    expect(latest.messages.map((m) => m.data)).toEqual([3, 4, 5]);
    expect(latest.messages).toEqual(out.slice(2));
    expect(latest.epoch).toBe(out[0]!.epoch);
    expect(latest.truncated).toBe(false);
  });

  it('pages forward from a position and says when the position is older than what is kept', async () => {
    const store = make({ size: 3, maxAgeMs: 60_000, now: () => 1000 });
    const r = room();
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await store.append(r, msg(i, 1000))).epoch!;
    const gap = await store.read(r, { room_id: 'r', since: 1, epoch }, 100);
    expect(gap.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(gap.truncated).toBe(true);
    const exact = await store.read(r, { room_id: 'r', since: 2, epoch }, 100);
    expect(exact.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(exact.truncated).toBe(false);
    const page = await store.read(r, { room_id: 'r', since: 2, epoch, limit: 2 }, 100);
    expect(page.messages.map((m) => m.offset)).toEqual([3, 4]);
    const capped = await store.read(r, { room_id: 'r', since: 2, epoch, limit: 50 }, 1);
    expect(capped.messages.map((m) => m.offset)).toEqual([3]);
    const upToDate = await store.read(r, { room_id: 'r', since: 5, epoch }, 100);
    expect(upToDate).toMatchObject({ messages: [], truncated: false });
    // A position from another epoch cannot be trusted: everything kept, flagged.
    const foreign = await store.read(r, { room_id: 'r', since: 4, epoch: 'not-this-one' }, 100);
    expect(foreign.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(foreign.truncated).toBe(true);
  });

  it('drops messages older than maxAge and answers `sinceTime` with the newest that are recent enough', async () => {
    let now = 10_000;
    const store = make({ size: 100, maxAgeMs: 1000, now: () => now });
    const r = room();
    for (let i = 1; i <= 6; i++) {
      now = 10_000 + i * 100;
      await store.append(r, msg(i, now));
    }
    const since = await store.read(r, { room_id: 'r', sinceTime: 10_400 }, 100);
    expect(since.messages.map((m) => m.data)).toEqual([4, 5, 6]);
    const newest = await store.read(r, { room_id: 'r', sinceTime: 10_000, limit: 2 }, 100);
    expect(newest.messages.map((m) => m.data)).toEqual([5, 6]);
    now = 11_350; // messages 1-3 (ts 10100-10300) are now older than a second
    const left = await store.read(r, { room_id: 'r' }, 100);
    expect(left.messages.map((m) => m.data)).toEqual([4, 5, 6]);
    const next = await store.append(r, msg(7, now));
    expect(next.offset).toBe(7);
  });

  it('answers an unknown room with an empty history and an epoch it keeps for that room', async () => {
    const store = make({ size: 10, maxAgeMs: 60_000, now: () => 1000 });
    const r = room();
    const empty = await store.read(r, { room_id: 'r' }, 100);
    expect(empty).toMatchObject({ messages: [], truncated: false });
    const first = await store.append(r, msg('a', 1000));
    expect(first.epoch).toBe(empty.epoch);
    expect(first.offset).toBe(1);
  });
});

describe.skipIf(!hasRedis)('room history in Redis, shared by instances', () => {
  it('hands out one sequence of positions to every instance', async () => {
    const opts = { size: 50, maxAgeMs: 60_000, now: () => 1000 };
    const [a, b] = [redisStore(opts), redisStore(opts)];
    const r = `demo:shared-${++roomSeq}`;
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append(r, msg(i, 1000))));
    expect(got.map((m) => m.offset).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(got.map((m) => m.epoch)).size).toBe(1);
    const fromA = await a.read(r, { room_id: 'r' }, 100);
    const fromB = await b.read(r, { room_id: 'r' }, 100);
    expect(fromA).toEqual(fromB);
    expect(fromA.messages).toHaveLength(20);
  });

  it('starts a new epoch when Redis lost the room, so old positions are flagged', async () => {
    const p = uniquePrefix();
    const store = redisStore({ size: 50, maxAgeMs: 60_000, now: () => 1000 }, p);
    const r = `demo:lost-${++roomSeq}`;
    await store.append(r, msg(1, 1000));
    const before = await store.append(r, msg(2, 1000));
    await dropPrefix(REDIS_URL, p);
    const after = await store.append(r, msg(3, 1000));
    expect(after.offset).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
    const res = await store.read(r, { room_id: 'r', since: 2, epoch: before.epoch }, 100);
    expect(res).toMatchObject({ epoch: after.epoch, truncated: true });
    expect(res.messages.map((m) => m.data)).toEqual([3]);
    await dropPrefix(REDIS_URL, p);
  });

  it('fails with UNAVAILABLE, at once, when Redis cannot be reached', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    redis.on('error', () => {});
    connections.push(redis);
    const store = createRedisHistoryStore({ redis, prefix, size: 10, maxAgeMs: 1000, positionTtlSeconds: 60 });
    const err = await store.append('demo:x', msg(1, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImError);
    expect((err as ImError).code).toBe('UNAVAILABLE');
    await expect(store.read('demo:x', { room_id: 'x' }, 10)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
