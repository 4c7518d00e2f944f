import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult, Message, OnlineUser, PresenceEvent } from '../../packages/protocol';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { spawnInstance, type ChildInstance } from '../helpers/spawn-instance';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { dropPrefix } from '../helpers/cluster';

const hasRedis = await requireRedis();
const ADMIN = 'admin-key-for-presence-cluster-01';
const PREFIX = `test-p7-${randomUUID().slice(0, 8)}`;
/** Short heartbeat and expiry, so a killed instance's users go within a second or so. */
const PRESENCE = { heartbeatMs: 100, expiryMs: 600 };
const GRACE_MS = 1500;
const CONFIG = {
  adminKey: ADMIN,
  adapter: { type: 'redis', url: REDIS_URL, prefix: PREFIX },
  presence: PRESENCE,
  sources: {
    demo: { signKey: DEMO_SOURCES.demo.signKey, presence: { room: 'presence', graceMs: GRACE_MS } },
    remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'] } },
  },
};

const servers: TestServer[] = [];
const children: ChildInstance[] = [];
const sockets: TestSocket[] = [];
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  if (!hasRedis) return;
  a = await startServer(CONFIG as never);
  b = await startServer(CONFIG as never);
  servers.push(a, b);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all(children.map((c) => c.kill()));
  await Promise.all(servers.map((s) => s.close()));
  if (!hasRedis) return;
  await dropPrefix(REDIS_URL, PREFIX);
});

async function client(base: string, userid: string, roomIds = 'lobby', source = 'demo'): Promise<TestSocket> {
  const s = await connectClient(base, { userid, username: `name-${userid}`, roomIds, source });
  sockets.push(s);
  return s;
}

async function online(base: string, source = 'demo'): Promise<{ users: number; connections: number; list: OnlineUser[] }> {
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${base}/api/online?source=${source}&ts=${ts}&sign=${operatorSign(DEMO_SOURCES[source as 'demo'].signKey, 'online', source, '', ts)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { users: number; connections: number; list: OnlineUser[] } }).data;
}

/** userid -> connections, as one instance reports it for the whole cluster. */
async function census(base: string): Promise<Record<string, number>> {
  return Object.fromEntries((await online(base)).list.map((u) => [u.userid, u.connections]).sort(([x], [y]) => String(x).localeCompare(String(y))));
}

async function censusIs(expected: Record<string, number>, bases: string[] = [a.url, b.url], what = JSON.stringify(expected)): Promise<void> {
  for (const base of bases) {
    await until(async () => JSON.stringify(await census(base)) === JSON.stringify(expected), 10_000, `${what} on ${base}`);
  }
}

/** Collects the join/leave signals a socket in the presence room receives. */
function signals(watcher: TestSocket): Array<{ key: string; userid: string }> {
  const got: Array<{ key: string; userid: string }> = [];
  watcher.on('newMsg', (m: Message) => {
    const d = m.data as { key?: string; userid?: string };
    if (m.room_id === 'presence' && (d.key === 'user_join' || d.key === 'user_leave')) got.push({ key: d.key, userid: d.userid! });
  });
  return got;
}

/** Resolves once every signal sent before now has arrived: a notify to the room lands after them. */
async function settle(watcher: TestSocket): Promise<void> {
  const marker = `marker-${randomUUID()}`;
  let seen = false;
  const on = (m: Message) => (seen ||= m.data === marker);
  watcher.on('newMsg', on);
  await postForm(a.url, signedNotify('presence', marker));
  await until(() => seen, 5000, 'the marker');
  watcher.off('newMsg', on);
}

describe.runIf(hasRedis)('presence across instances (Redis)', () => {
  it('counts people and tabs right as users connect, reconnect, open tabs and leave, on every instance', async () => {
    const watcher = await client(b.url, 'watcher', 'presence');
    const got = signals(watcher);
    const aliceA = await client(a.url, 'alice');
    const aliceB = await client(b.url, 'alice', 'lobby,sales');
    const bob = await client(b.url, 'bob', 'sales');
    await client(b.url, 'mallory', 'lobby', 'remote_debug');
    await censusIs({ alice: 2, bob: 1, watcher: 1 });
    const list = (await online(a.url)).list;
    expect(list.find((u) => u.userid === 'alice')!.rooms.sort()).toEqual(['lobby', 'sales']);
    // Another source's users never show up.
    expect(list.map((u) => u.userid)).not.toContain('mallory');

    aliceA.close();
    await censusIs({ alice: 1, bob: 1, watcher: 1 });
    // A reload that lands on the other instance, within the grace: neither leave nor join.
    aliceB.close();
    const aliceAgain = await client(a.url, 'alice');
    await censusIs({ alice: 1, bob: 1, watcher: 1 });
    const third = await client(a.url, 'alice');
    await censusIs({ alice: 2, bob: 1, watcher: 1 });

    for (const s of [aliceAgain, third, bob]) s.close();
    await censusIs({ watcher: 1 });
    await until(() => got.filter((g) => g.key === 'user_leave').length >= 2, 10_000, 'two leaves');
    await settle(watcher);
    const mine = got.filter((g) => g.userid === 'alice' || g.userid === 'bob');
    expect(mine.filter((g) => g.key === 'user_join').map((g) => g.userid).sort()).toEqual(['alice', 'bob']);
    expect(mine.filter((g) => g.key === 'user_leave').map((g) => g.userid).sort()).toEqual(['alice', 'bob']);
    watcher.close();
    await censusIs({});
  });

  it('drops the users of an instance killed with SIGKILL, and a restarted instance wipes nobody', async () => {
    const watcher = await client(a.url, 'watcher2', 'presence');
    const got = signals(watcher);
    await client(b.url, 'olga');
    const doomed = await spawnInstance(CONFIG);
    children.push(doomed);
    await client(doomed.url, 'carol');
    await client(doomed.url, 'carol');
    await client(doomed.url, 'dave');
    await censusIs({ carol: 2, dave: 1, olga: 1, watcher2: 1 });
    await until(() => got.filter((g) => g.key === 'user_join' && ['carol', 'dave'].includes(g.userid)).length === 2, 5000, 'joins');

    await doomed.kill();
    // Within expiryMs (600 ms here) of its last heartbeat its users stop counting, on every instance.
    await censusIs({ olga: 1, watcher2: 1 }, [a.url, b.url], 'carol and dave gone after the kill');
    const leaves = () => got.filter((g) => g.key === 'user_leave' && ['carol', 'dave'].includes(g.userid)).map((g) => g.userid);
    await until(() => leaves().length >= 2, 10_000, 'leaves of carol and dave');
    await settle(watcher);
    expect(leaves().sort()).toEqual(['carol', 'dave']);

    // An instance that starts (a restart gets a new id) leaves everyone else's records alone.
    const restarted = await spawnInstance(CONFIG);
    children.push(restarted);
    await client(restarted.url, 'carol');
    await censusIs({ carol: 1, olga: 1, watcher2: 1 }, [a.url, b.url, restarted.url]);
    await restarted.kill();
    await censusIs({ olga: 1, watcher2: 1 });
  });

  it('serves page views and the live stream from any instance', async () => {
    const stream = await openStream(b.url, 'demo');
    try {
      await stream.next((e) => e.event === 'snapshot');
      const s = await client(a.url, 'paula');
      await stream.next((e) => e.event === 'presence' && (e.data as PresenceEvent).type === 'connect');
      const ack = await new Promise<AckResult>((resolve) =>
        s.emit('pageView', { url: 'https://spa.test/#/orders', title: 'Orders', nav: 'hash' }, resolve),
      );
      expect(ack).toEqual({ ok: true });
      const pv = await stream.next((e) => e.event === 'presence' && (e.data as PresenceEvent).type === 'pageview');
      expect((pv.data as Extract<PresenceEvent, { type: 'pageview' }>).view).toMatchObject({ userid: 'paula', url: 'https://spa.test/#/orders' });

      const ts = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${b.url}/api/pageviews?source=demo&userid=paula&ts=${ts}&sign=${operatorSign(DEMO_SOURCES.demo.signKey, 'pageviews', 'demo', 'paula', ts)}`);
      const body = (await res.json()) as { data: { list: Array<{ url: string }> } };
      expect(body.data.list.map((v) => v.url)).toEqual(['https://spa.test/#/orders']);

      // The stream of another source never carries demo's users.
      const other = await openStream(a.url, 'remote_debug');
      const snap = await other.next((e) => e.event === 'snapshot');
      expect((snap.data as { connections: Array<{ source: string }> }).connections.every((c) => c.source === 'remote_debug')).toBe(true);
      s.close();
      await stream.next((e) => e.event === 'presence' && (e.data as PresenceEvent).type === 'disconnect');
      // (It may carry its own events: an instance the test before killed can be declared down now.)
      expect(other.events.filter((e) => e.event === 'presence' && (e.data as PresenceEvent).source !== 'remote_debug')).toEqual([]);
      other.close();
    } finally {
      stream.close();
    }
  });

  it('refuses a stream with a wrong sign', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${a.url}/api/presence/stream?source=demo&ts=${ts}&sign=${operatorSign(DEMO_SOURCES.demo.signKey, 'online', 'demo', '', ts)}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 0, error: 'BAD_SIGN' });
  });
});

interface SseEvent {
  event: string;
  data: unknown;
}

/** Opens /api/presence/stream with the admin key and parses its events as they come. */
async function openStream(base: string, source: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/presence/stream?source=${source}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted
    }
  })();
  let read = 0;
  return {
    events,
    /** The next event (after those already returned) that matches. */
    async next(match: (e: SseEvent) => boolean): Promise<SseEvent> {
      let found: SseEvent | undefined;
      await until(() => {
        while (!found && read < events.length) {
          const e = events[read++]!;
          if (match(e)) found = e;
        }
        return found !== undefined;
      }, 5000, 'a stream event');
      return found!;
    },
    close: () => controller.abort(),
  };
}
