import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceConnection } from '../../packages/protocol';
import { createMemoryPresenceStore } from '../../server/presence/memory-presence-store';
import type { PresenceStore, PresenceStoreOptions, TickResult } from '../../server/presence/presence-store';
import { createRedisPresenceStore } from '../../server/presence/redis-presence-store';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { until } from '../helpers/wait-for';

const hasRedis = await requireRedis();

const OPTS: Omit<PresenceStoreOptions, 'instanceId'> = {
  expiryMs: 400,
  pageViews: { max: 3, maxAgeMs: 60_000, recent: 5 },
  seenDays: 2,
};

let seq = 0;
function conn(userid: string, over: Partial<PresenceConnection> = {}): PresenceConnection {
  seq++;
  return {
    sid: `sid-${seq}`,
    instance: 'i',
    source: 'demo',
    userid,
    username: `name-${userid}`,
    ext_info: '',
    rooms: ['r1'],
    since: 1000 + seq,
    ...over,
  };
}

/** Ticks every store until what the ticks reported so far satisfies `done`; returns them all. */
async function tickUntil(stores: PresenceStore[], done: (all: TickResult[]) => boolean, what: string): Promise<TickResult[]> {
  const seen: TickResult[] = [];
  await until(
    async () => {
      for (const s of stores) seen.push(await s.tick(['demo']));
      return done(seen);
    },
    5000,
    what,
  );
  return seen;
}
const leavesOf = (all: TickResult[]) => all.flatMap((r) => r.leaves);

interface Harness {
  make(instanceId: string): PresenceStore;
  cleanup(): Promise<void>;
}

const harnesses: Array<[string, () => Harness, boolean]> = [
  [
    'memory',
    () => ({ make: (instanceId) => createMemoryPresenceStore({ ...OPTS, instanceId }), cleanup: async () => {} }),
    true,
  ],
  [
    'redis',
    () => {
      const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
      const prefix = `test-presence-${randomUUID().slice(0, 8)}`;
      return {
        make: (instanceId) => createRedisPresenceStore({ ...OPTS, instanceId, redis, prefix }),
        async cleanup() {
          const keys = await redis.keys(`${prefix}:*`);
          if (keys.length) await redis.del(...keys);
          redis.disconnect();
        },
      };
    },
    hasRedis,
  ],
];

describe.each(harnesses)('%s presence store', (_name, makeHarness, enabled) => {
  let h: Harness;
  beforeAll(() => {
    if (enabled) h = makeHarness();
  });
  afterAll(() => h?.cleanup());

  it.runIf(enabled)('counts one user with three tabs as one user with three connections', async () => {
    const s = h.make(`a-${randomUUID()}`);
    await s.tick(['demo']);
    const tabs = [conn('u1'), conn('u1'), conn('u1')];
    const results = [];
    for (const t of tabs) results.push(await s.add(t));
    expect(results.map((r) => r.connections)).toEqual([1, 2, 3]);
    expect(results.map((r) => r.joined)).toEqual([true, false, false]);
    expect(await s.userConnections('demo', 'u1')).toBe(3);
    await s.remove('demo', tabs[0]!.sid, 0);
    expect(await s.userConnections('demo', 'u1')).toBe(2);
    expect((await s.connections('demo')).map((c) => c.sid).sort()).toEqual([tabs[1]!.sid, tabs[2]!.sid].sort());
    // Removing an unknown id changes nothing.
    expect(await s.remove('demo', 'nope', 0)).toBeUndefined();
    await s.close();
  });

  it.runIf(enabled)('announces a leave once the last connection is gone and the grace has passed', async () => {
    const s = h.make(`a-${randomUUID()}`);
    await s.tick(['demo']);
    const c = conn('u2');
    await s.add(c);
    expect(await s.remove('demo', c.sid, 0)).toEqual({ connections: 0 });
    const ticks = await tickUntil([s], (all) => leavesOf(all).length > 0, 'leave of u2');
    expect(leavesOf(ticks)).toEqual([{ source: 'demo', userid: 'u2', username: 'name-u2' }]);
    // The next connection is a join again.
    expect((await s.add(conn('u2'))).joined).toBe(true);
    await s.close();
  });

  it.runIf(enabled)('treats a reload within the grace period as neither leave nor join', async () => {
    const s = h.make(`a-${randomUUID()}`);
    await s.tick(['demo']);
    const first = conn('u3');
    expect((await s.add(first)).joined).toBe(true);
    await s.remove('demo', first.sid, 60_000);
    const again = await s.add(conn('u3'));
    expect(again).toEqual({ connections: 1, joined: false });
    const r = await s.tick(['demo']);
    expect(r.leaves).toEqual([]);
    await s.close();
  });

  it.runIf(enabled)('keeps page views per user, newest first, bounded', async () => {
    const s = h.make(`a-${randomUUID()}`);
    const now = Date.now();
    for (let i = 1; i <= 5; i++) await s.addPageView('demo', { userid: 'pv', url: `https://x.test/${i}`, at: now + i });
    await s.addPageView('demo', { userid: 'other', url: 'https://x.test/o', at: now + 9 });
    const views = await s.pageViews('demo', 'pv', 10);
    expect(views.map((v) => v.url)).toEqual(['https://x.test/5', 'https://x.test/4', 'https://x.test/3']);
    expect((await s.pageViews('demo', 'pv', 1)).map((v) => v.url)).toEqual(['https://x.test/5']);
    expect((await s.recentPageViews('demo', 10)).map((v) => v.url)).toEqual([
      'https://x.test/o',
      'https://x.test/5',
      'https://x.test/4',
      'https://x.test/3',
      'https://x.test/2',
    ]);
    expect(await s.pageViews('other-source', 'pv', 10)).toEqual([]);
  });

  it.runIf(enabled)('remembers who was seen on a day', async () => {
    const s = h.make(`a-${randomUUID()}`);
    await s.markSeen('demo', '2026-11-26', 'a', 'Ann');
    await s.markSeen('demo', '2026-11-26', 'a', 'Ann');
    await s.markSeen('demo', '2026-11-26', 'b', 'Bob');
    await s.markSeen('demo', '2026-11-25', 'c', 'Cy');
    const day = await s.seen('demo', '2026-11-26');
    expect(day.map((u) => [u.userid, u.username, u.connections])).toEqual([
      ['a', 'Ann', 2],
      ['b', 'Bob', 1],
    ]);
    expect(day[0]!.first_seen).toBeLessThanOrEqual(day[0]!.last_seen);
    expect(await s.seen('other', '2026-11-26')).toEqual([]);
  });
});

describe.runIf(hasRedis)('redis presence store, several instances', () => {
  let prefix: string;
  // One connection per store, as separate processes would have.
  const connections: Redis[] = [];
  const make = (instanceId: string) => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    return createRedisPresenceStore({ ...OPTS, instanceId, redis, prefix });
  };
  /** Two instances on a fresh prefix, as two processes would be, each after its first heartbeat. */
  const twoInstances = async (first: string, second: string) => {
    prefix = `test-presence-multi-${randomUUID().slice(0, 8)}`;
    const pair = [make(first), make(second)] as const;
    await Promise.all(pair.map((store) => store.tick(['demo'])));
    return pair;
  };
  afterAll(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`test-presence-multi-*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    for (const c of connections) c.disconnect();
  });

  it('counts a user across instances and announces exactly one join and one leave', async () => {
    const [a, b] = await twoInstances('A', 'B');
    // The same user opens a tab on each instance at once: exactly one of them is the join.
    const [ra, rb] = await Promise.all([a.add(conn('u', { instance: 'A' })), b.add(conn('u', { instance: 'B' }))]);
    expect([ra.joined, rb.joined].filter(Boolean)).toHaveLength(1);
    expect(await a.userConnections('demo', 'u')).toBe(2);
    expect(await b.userConnections('demo', 'u')).toBe(2);
    expect((await a.connections('demo')).map((c) => c.instance).sort()).toEqual(['A', 'B']);

    const [ca] = await a.connections('demo').then((cs) => cs.filter((c) => c.instance === 'A'));
    await a.remove('demo', ca!.sid, 0);
    expect(await b.userConnections('demo', 'u')).toBe(1);
    expect((await Promise.all([a.tick(['demo']), b.tick(['demo'])])).flatMap((r) => r.leaves)).toEqual([]);

    const [cb] = await b.connections('demo');
    await b.remove('demo', cb!.sid, 0);
    const ticks = await tickUntil([a, b], (all) => leavesOf(all).length > 0, 'the leave');
    expect(leavesOf(ticks)).toEqual([{ source: 'demo', userid: 'u', username: 'name-u' }]);
    // Nobody reports it twice.
    expect((await Promise.all([a.tick(['demo']), b.tick(['demo'])])).flatMap((r) => r.leaves)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('drops the users of an instance that stops heartbeating, and a restart never wipes the others', async () => {
    const [a, dying] = await twoInstances('A', 'B-1');
    await a.add(conn('alice', { instance: 'A' }));
    await dying.add(conn('bob', { instance: 'B-1' }));
    await dying.add(conn('alice', { instance: 'B-1' }));
    const users = async () => [...new Set((await a.connections('demo')).map((c) => c.userid))].sort();
    expect(await users()).toEqual(['alice', 'bob']);

    // B-1 dies without cleaning up (no close, no more ticks). Its restart gets a new id.
    const restarted = make('B-2');
    await restarted.tick(['demo']);
    expect(await users()).toEqual(['alice', 'bob']);

    // Within expiryMs B-1's records stop counting; A keeps ticking meanwhile and reports bob's leave.
    const ticks = await tickUntil([a, restarted], (all) => leavesOf(all).length > 0, 'the sweep of B-1 and bob leaving');
    expect(await users()).toEqual(['alice']);
    expect(await a.userConnections('demo', 'alice')).toBe(1);
    expect(leavesOf(ticks)).toEqual([{ source: 'demo', userid: 'bob', username: 'name-bob' }]);
    expect(ticks.flatMap((r) => r.deadInstances)).toEqual([{ source: 'demo', instance: 'B-1' }]);
    await Promise.all([a.close(), restarted.close()]);
  });

  it('writes its records back after a pause made the others sweep it', async () => {
    const [a, paused] = await twoInstances('A', 'P');
    await paused.add(conn('carol', { instance: 'P' }));
    await tickUntil([a], (all) => all.some((r) => r.deadInstances.some((d) => d.instance === 'P')), 'the sweep of P');
    expect(await a.userConnections('demo', 'carol')).toBe(0);
    // P wakes up: its next heartbeat restores carol, and announces her again.
    const r = await paused.tick(['demo']);
    expect(r.joins).toEqual([{ source: 'demo', userid: 'carol', username: 'name-carol' }]);
    expect(await a.userConnections('demo', 'carol')).toBe(1);
    await Promise.all([a.close(), paused.close()]);
  });
});
