import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type ImClient } from '../../packages/client';
import { signedConnectUrl } from '../../packages/client/node';
import type { Message, NoticePayload } from '../../packages/protocol';
import { legacyConnectSign } from '../../packages/signing';
import { DEMO_SOURCES, type ServerConfigInput } from '../../server/config';
import { RawSocket } from '../helpers/raw-socket';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

/**
 * Output budgets: a reader that stops reading its TCP socket is cut once more than the budget
 * waits for it, the others keep getting everything, and the reader, told SLOW_CONSUMER on its
 * next handshake, catches up from history with nothing lost.
 */

const servers: TestServer[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(config: Partial<ServerConfigInput>): Promise<TestServer> {
  const s = await startServer({ history: { size: 5000, maxAgeSeconds: 3600 }, ...config });
  servers.push(s);
  return s;
}

const KEY = DEMO_SOURCES.demo.signKey;
const payload = (i: number, size: number) => ({ i, pad: 'x'.repeat(size) });

function sdkReader(s: TestServer, rooms: string, userid: string, extra: Parameters<typeof createClient>[1] = {}) {
  const got: Message[] = [];
  const notices: NoticePayload[] = [];
  const gaps: string[] = [];
  let connects = 0;
  const client: ImClient = createClient(signedConnectUrl({ url: s.url, source: 'demo', signKey: KEY, rooms, userid, username: userid }), {
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    maxReconnectAttempts: Infinity,
    socketOptions: { transports: ['websocket'] },
    onMessage: (m) => got.push(m),
    onNotice: (n) => notices.push(n),
    onGap: (room) => gaps.push(room),
    onConnect: () => connects++,
    ...extra,
  });
  closers.push(() => client.close());
  return { client, got, notices, gaps, connects: () => connects };
}

function rawQuery(rooms: string, userid: string, extra = ''): string {
  const q = new URLSearchParams({ userid, username: userid, source: 'demo', room_ids: rooms, sign: legacyConnectSign('demo', rooms, KEY), ext_info: '' });
  return `${q.toString()}${extra}`;
}

/** A raw Socket.IO reader of `rooms`, connected, then paused (it never reads again). */
async function stalledReader(s: TestServer, rooms: string, userid: string): Promise<RawSocket> {
  const raw = await RawSocket.open(s.url, rawQuery(rooms, userid));
  closers.push(() => raw.close());
  raw.send('0');
  expect(await raw.nextReply()).toMatch(/^0\{"sid"/);
  raw.pause();
  return raw;
}

async function closes(s: TestServer, budget: 'connection' | 'total', source = 'demo'): Promise<number> {
  const metric = await s.metrics.slowConsumerCloses.get();
  return metric.values.find((v) => v.labels.source === source && v.labels.budget === budget)?.value ?? 0;
}

const serverSockets = (s: TestServer, userid: string) => [...s.io.of('/').sockets.values()].filter((x) => x.data.userid === userid);

/**
 * Publishes numbered messages to `rooms` until `done` holds (checked every 10), at most `max`.
 * One per turn of the event loop, as pushes arriving over HTTP or Redis come.
 */
async function publishUntil(s: TestServer, rooms: string[], size: number, done: () => Promise<boolean>, max = 4000): Promise<number> {
  let n = 0;
  while (n < max) {
    await s.relay.publish('demo', rooms, payload(++n, size));
    await new Promise((r) => setImmediate(r));
    if (n % 10 === 0 && (await done())) return n;
  }
  throw new Error(`no slow-consumer close after ${max} messages`);
}

describe('per-connection output budget', () => {
  it('cuts a stalled raw websocket reader of a busy room at the budget; the others get everything; it is told SLOW_CONSUMER on its next handshake', async () => {
    const s = await server({ limits: { maxQueuedBytesPerConnection: 256 * 1024 } });
    const fast = sdkReader(s, 'busy', 'fast');
    await until(() => fast.client.state === 'connected', 10_000, 'fast reader connected');
    await stalledReader(s, 'busy', 'stalled');
    expect(serverSockets(s, 'stalled')).toHaveLength(1);

    const sent = await publishUntil(s, ['busy'], 8 * 1024, async () => (await closes(s, 'connection')) >= 1);
    expect(await closes(s, 'connection')).toBe(1);
    await until(() => serverSockets(s, 'stalled').length === 0, 10_000, 'the stalled socket gone');
    // Nothing of this server's other clients was held back or lost.
    await until(() => fast.got.length === sent, 20_000, `fast reader has all ${sent}`);
    expect(fast.got.map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(fast.notices).toEqual([]);
    expect(fast.connects()).toBe(1);

    // The same reader (address, source, userid) comes back: told why, then reads as usual.
    const again = await RawSocket.open(s.url, rawQuery('busy', 'stalled'));
    closers.push(() => again.close());
    again.send('0');
    expect(await again.next()).toMatch(/^0\{"sid"/);
    const notice = await again.next();
    expect(notice).toMatch(/^2\["sys_notice",/);
    expect(JSON.parse(notice!.slice(1))[1]).toMatchObject({ code: 'SLOW_CONSUMER' });
    // Told once only.
    const third = await RawSocket.open(s.url, rawQuery('busy', 'stalled'));
    closers.push(() => third.close());
    third.send('0');
    expect(await third.next()).toMatch(/^0\{"sid"/);
    await s.relay.publish('demo', ['busy'], 'after');
    expect(await third.next()).toMatch(/^2\["newMsg",/);
  });

  it('the SDK, stalled and cut, reconnects by itself, is told SLOW_CONSUMER and catches up from history: nothing lost, nothing twice', async () => {
    const s = await server({ limits: { maxQueuedBytesPerConnection: 256 * 1024 } });
    const reader = sdkReader(s, 'feed', 'sdk-slow');
    await until(() => reader.client.state === 'connected', 10_000, 'SDK connected');
    await s.relay.publish('demo', ['feed'], payload(0, 10));
    await until(() => reader.got.length === 1, 10_000, 'first message');

    // Stop reading the SDK's TCP connection (ws under engine.io-client's websocket transport).
    const tcp = (reader.client.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    tcp.pause();
    const sent = await publishUntil(s, ['feed'], 8 * 1024, async () => (await closes(s, 'connection')) >= 1);
    tcp.resume();

    await until(() => reader.notices.length === 1, 20_000, 'the SLOW_CONSUMER notice');
    expect(reader.notices[0]).toMatchObject({ code: 'SLOW_CONSUMER' });
    await until(() => reader.got.length === sent + 1, 30_000, `all ${sent + 1} messages`);
    expect(reader.got.map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: sent + 1 }, (_, i) => i));
    expect(reader.gaps).toEqual([]);
    expect(reader.client.state).toBe('connected');
    expect(reader.connects()).toBe(2);
  });

  it('a reader that asks for history and never reads the answers is cut by the same budget', async () => {
    const s = await server({ limits: { maxQueuedBytesPerConnection: 256 * 1024 }, rateLimits: { perConnection: 1000 } });
    for (let i = 1; i <= 100; i++) await s.relay.publish('demo', ['archive'], payload(i, 8 * 1024));
    const raw = await stalledReader(s, 'archive', 'hoarder');
    let id = 0;
    await until(
      async () => {
        raw.send(`2${id++}["history",{"room_id":"archive","limit":100}]`);
        return (await closes(s, 'connection')) >= 1;
      },
      20_000,
      'the hoarder cut',
    );
    expect(serverSockets(s, 'hoarder')).toHaveLength(0);
  });
});

describe('long-polling', () => {
  it('a polling reader that stops polling is cut at the budget (its session closed) and told SLOW_CONSUMER when it comes back', async () => {
    const s = await server({ limits: { maxQueuedBytesPerConnection: 256 * 1024 } });
    const base = `${s.url}/socket.io/?EIO=4&transport=polling&${rawQuery('slow-poll', 'poller')}`;
    // Engine.IO handshake, then the Socket.IO CONNECT, then no more polls.
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    expect((await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '40' })).status).toBe(200);
    expect(await (await fetch(`${base}&sid=${sid}`)).text()).toMatch(/^40\{"sid"/);
    await until(() => serverSockets(s, 'poller').length === 1, 10_000, 'the poller connected');

    await publishUntil(s, ['slow-poll'], 8 * 1024, async () => (await closes(s, 'connection')) >= 1);
    expect(serverSockets(s, 'poller')).toHaveLength(0);
    // Its session is gone: the next poll is refused, so a client reconnects.
    expect((await fetch(`${base}&sid=${sid}`)).status).toBe(400);

    const again = await RawSocket.open(s.url, rawQuery('slow-poll', 'poller'));
    closers.push(() => again.close());
    again.send('0');
    expect(await again.next()).toMatch(/^0\{"sid"/);
    expect(await again.next()).toMatch(/^2\["sys_notice",\{"code":"SLOW_CONSUMER"/);
  });
});

describe('total output budget', () => {
  it('over the total, the fullest connections go first; the others stay and get everything', async () => {
    const s = await server({ limits: { maxQueuedBytesPerConnection: 0, maxQueuedBytes: 512 * 1024 } });
    const fast = sdkReader(s, 'a,b', 'fast');
    await until(() => fast.client.state === 'connected', 10_000, 'fast reader connected');
    // Both stall; "both" gets twice the traffic of "one".
    await stalledReader(s, 'a,b', 'both');
    await stalledReader(s, 'a', 'one');

    const sent = await publishUntil(s, ['a', 'b'], 8 * 1024, async () => (await closes(s, 'total')) >= 1);
    expect(await closes(s, 'total')).toBe(1);
    expect(await closes(s, 'connection')).toBe(0);
    await until(() => serverSockets(s, 'both').length === 0, 10_000, 'the fullest cut');
    expect(serverSockets(s, 'one')).toHaveLength(1);
    await until(() => fast.got.length === 2 * sent, 20_000, `fast reader has all ${2 * sent}`);
  });
});
