import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult, HistoryResult, Message } from '../../packages/protocol';
import { adminGet, dropPrefix, redisAdapter, startCluster, uniquePrefix } from '../helpers/cluster';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { startBalancer, type TcpBalancer } from '../helpers/tcp-balancer';
import { TrackingClient } from '../helpers/tracking-client';
import { collectMessages, once } from '../helpers/wait-for';

const hasRedis = await requireRedis();

/** Collects newMsg until one whose data is `marker` arrived through every room in `rooms`. */
function collectUntil(socket: TestSocket, marker: string, rooms: string[], ms = 10_000): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const got: Message[] = [];
    const pending = new Set(rooms);
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${marker} (got ${JSON.stringify(got)})`)), ms);
    socket.on('newMsg', (m: Message) => {
      got.push(m);
      if (m.data === marker) pending.delete(m.room_id);
      if (pending.size === 0) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe.skipIf(!hasRedis).each(['streams', 'pubsub'] as const)('cluster of three instances on Redis (%s)', (transport) => {
  let servers: TestServer[] = [];
  let sockets: Array<{ close(): void }> = [];
  let balancer: TcpBalancer | undefined;
  let prefix = '';

  async function cluster(extra: Record<string, unknown> = {}) {
    prefix = uniquePrefix();
    servers = await startCluster(3, { adapter: redisAdapter(REDIS_URL, prefix, { transport }), ...extra });
    return servers as [TestServer, TestServer, TestServer];
  }

  async function client(url: string, roomIds: string, username = 'u') {
    const s = await connectClient(url, { roomIds, username });
    sockets.push(s);
    return s;
  }

  beforeAll(() => {
    expect(transport).toMatch(/streams|pubsub/);
  });

  afterEach(async () => {
    sockets.forEach((s) => s.close());
    sockets = [];
    await balancer?.close();
    balancer = undefined;
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await dropPrefix(REDIS_URL, prefix);
  });

  it('delivers a notify accepted by one instance to every subscriber on every instance exactly once, through each of its rooms', async () => {
    const [a, b, c] = await cluster();
    const onA = await client(a.url, 'r1');
    const onB = await client(b.url, 'r1,r2');
    const onC = await client(c.url, 'r2');
    const onC3 = await client(c.url, 'r3');
    const got = Promise.all([
      collectUntil(onA, 'end', ['r1']),
      collectUntil(onB, 'end', ['r1', 'r2']),
      collectUntil(onC, 'end', ['r2']),
      collectUntil(onC3, 'end', ['r3']),
    ]);
    expect((await postForm(a.url, signedNotify('r1,r2', 'm1'))).body.code).toBe(1);
    // The second message enters through another instance: positions still continue.
    expect((await postForm(b.url, signedNotify('r1,r2,r3', 'end'))).body.code).toBe(1);
    const [gotA, gotB, gotC, gotC3] = await got;

    const brief = (ms: Message[]) => ms.map((m) => `${m.room_id}:${String(m.data)}`).sort();
    expect(brief(gotA)).toEqual(['r1:end', 'r1:m1']);
    expect(brief(gotB)).toEqual(['r1:end', 'r1:m1', 'r2:end', 'r2:m1']);
    expect(brief(gotC)).toEqual(['r2:end', 'r2:m1']);
    expect(brief(gotC3)).toEqual(['r3:end']);
    for (const m of [...gotA, ...gotB, ...gotC, ...gotC3]) expect(m.source).toBe('demo');

    // Every instance hands out the same position for the same room message.
    const position = (ms: Message[], room: string, data: string) => {
      const m = ms.find((x) => x.room_id === room && x.data === data)!;
      return `${m.epoch}/${m.offset}`;
    };
    expect(position(gotA, 'r1', 'm1')).toBe(position(gotB, 'r1', 'm1'));
    expect(position(gotB, 'r2', 'm1')).toBe(position(gotC, 'r2', 'm1'));
    const endB = gotB.find((m) => m.room_id === 'r1' && m.data === 'end')!;
    expect(endB.offset).toBe(2);
    expect(endB.epoch).toBe(gotA.find((m) => m.data === 'm1')!.epoch);
  });

  it('delivers a postMsg from a client on one instance to the others', async () => {
    const [a, b, c] = await cluster();
    const onA = await client(a.url, 'chat');
    const onC = await client(c.url, 'chat');
    const sender = await client(b.url, 'chat');
    const gotA = collectMessages(onA, 1);
    const gotC = collectMessages(onC, 1);
    const gotSender = collectMessages(sender, 1);
    const ack = await sender.timeout(5000).emitWithAck('postMsg', { text: 'hi' }, 'chat');
    expect(ack).toEqual({ ok: true });
    for (const [m] of await Promise.all([gotA, gotC, gotSender])) {
      expect(m).toMatchObject({ source: 'demo', data: { text: 'hi' }, room_id: 'chat', offset: 1 });
    }
  });

  it('serves the same room history, with the same positions, from any instance', async () => {
    const [a, b, c] = await cluster();
    const live = await client(b.url, 'news');
    const received = collectMessages(live, 5);
    for (let i = 1; i <= 5; i++) expect((await postForm(a.url, signedNotify('news', `n${i}`))).body.code).toBe(1);
    const liveMessages = await received;

    const answers: HistoryResult[] = [];
    for (const s of [a, b, c]) {
      const reader = await client(s.url, 'news');
      const res = (await reader.timeout(5000).emitWithAck('history', { room_id: 'news', limit: 10 })) as AckResult<HistoryResult>;
      if (!res.ok) throw new Error(res.error.message);
      answers.push(res.result);
    }
    for (const res of answers) {
      expect(res.messages.map((m) => m.data)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
      expect(res.messages).toEqual(liveMessages);
      expect(res.truncated).toBe(false);
    }
    // `since` a position, asked of another instance than the one that accepted the messages.
    const reader = await client(c.url, 'news');
    const since = (await reader
      .timeout(5000)
      .emitWithAck('history', { room_id: 'news', since: 3, epoch: liveMessages[0]!.epoch })) as AckResult<HistoryResult>;
    expect(since.ok && since.result.messages.map((m) => m.data)).toEqual(['n4', 'n5']);
  });

  it('writes a filename log once, readable through /api/logs on every instance', async () => {
    const [a, b, c] = await cluster();
    const watcher = await client(c.url, 'audit');
    const seen = collectMessages(watcher, 1);
    expect((await postForm(a.url, signedNotify('audit', 'order 42 paid', 'demo', { filename: 'orders.log' }))).body.code).toBe(1);
    await seen;
    const date = new Date().toISOString().slice(0, 10);
    for (const s of [a, b, c]) {
      const res = await adminGet(`${s.url}/api/logs?source=demo&filename=orders.log&date=${date}`);
      expect(res.status).toBe(200);
      const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as { data: string; instance: string });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ data: 'order 42 paid', instance: a.context.instanceId });
    }
  });

  it('counts messages and deliveries in /metrics', async () => {
    const [a, b] = await cluster();
    const onB = await client(b.url, 'm');
    const got = collectMessages(onB, 1);
    await postForm(a.url, signedNotify('m', 'x'));
    await got;
    const metricsA = await (await fetch(`${a.url}/metrics`)).text();
    const metricsB = await (await fetch(`${b.url}/metrics`)).text();
    expect(metric(metricsA, 'im_messages_in_total{source="demo"}')).toBe(1);
    expect(metric(metricsA, 'im_messages_out_total{source="demo"}')).toBe(1);
    expect(metric(metricsB, 'im_deliveries_total')).toBe(1);
    expect(metric(metricsB, 'im_connections')).toBe(1);
    expect(metric(metricsB, 'im_rooms')).toBe(1);
    expect(metric(metricsB, 'im_redis_up{connection="command"}')).toBe(1);
  });

  it('a client of an instance that shuts down gets every message it missed on another instance, in order, once', async () => {
    const [a, b, c] = await cluster();
    balancer = await startBalancer([b.port, c.port]);
    const tracker = new TrackingClient(balancer.url, { roomIds: 'feed', options: { reconnection: false } });
    sockets.push(tracker);
    await tracker.connected();
    expect(balancer.routed).toEqual([b.port]);
    await postForm(a.url, signedNotify('feed', '1'));
    await tracker.until(() => tracker.messages.length === 1);

    const dropped = once(tracker.socket, 'disconnect');
    await b.close();
    await dropped;
    for (let i = 2; i <= 6; i++) expect((await postForm(a.url, signedNotify('feed', String(i)))).body.code).toBe(1);
    tracker.socket.connect();
    await tracker.until(() => tracker.messages.length === 6, 10_000, 'all six messages');
    await postForm(a.url, signedNotify('feed', '7'));
    await tracker.until(() => tracker.messages.length === 7);

    expect(balancer.routed).toEqual([b.port, c.port]);
    expect(tracker.data()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(tracker.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Connection state recovery is off with either adapter: the client catches up from history.
    expect(tracker.recovered).toBe(0);
    expect(tracker.historyCalls).toBeGreaterThan(0);
  });
});
