import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../packages/protocol';
import { legacyNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { LEGACY_CHANNEL } from '../../server/legacy/legacy-channel';
import { ADMIN_KEY, dropPrefix, redisAdapter, startCluster, uniquePrefix } from '../helpers/cluster';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import type { TestServer } from '../helpers/start-server';
import { once, until } from '../helpers/wait-for';

const hasRedis = await requireRedis();
let servers: TestServer[] = [];
const DEMO_KEY = DEMO_SOURCES.demo.signKey;
const OPEN_KEY = 'open-source-key-0123';

/** A value of a counter or gauge line in /metrics text (0 when absent). */
async function metric(server: TestServer, line: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const hit = text.split('\n').find((l) => l.startsWith(line + ' '));
  return hit ? Number(hit.slice(line.length + 1)) : 0;
}

/** The servers that hold the claim lease right now. */
async function leaders(): Promise<TestServer[]> {
  const out: TestServer[] = [];
  for (const s of servers) if ((await metric(s, 'im_legacy_channel_leader')) === 1) out.push(s);
  return out;
}

const outcome = (o: string) => `im_legacy_channel_messages_total{outcome="${o}"}`;

describe.skipIf(!hasRedis)(`Redis channel ${LEGACY_CHANNEL} (legacyRedisChannel)`, () => {
  const prefix = uniquePrefix();
  // Rooms no other run of this file uses: every run's servers read the same channel.
  const room = `legacy-${randomUUID().slice(0, 8)}`;
  const sysLogPath = path.join(mkdtempSync(path.join(tmpdir(), 'im-sysinfo-')), 'sys.log');
  let redis: Redis;
  const clients: TestSocket[] = [];
  /** Every newMsg each client got, in order. */
  const got: Message[][] = [];

  beforeAll(async () => {
    servers = await startCluster(2, {
      adapter: redisAdapter(REDIS_URL, prefix),
      legacyRedisChannel: true,
      sources: {
        demo: { signKey: DEMO_KEY },
        open_src: { signKey: OPEN_KEY, publishMsgVerify: false },
      },
    });
    for (const s of servers) await until(async () => (await metric(s, 'im_legacy_channel_subscribed')) === 1, 15_000, 'subscribed');
    await until(async () => (await leaders()).length === 1, 15_000, 'one leader');
    for (const s of servers) {
      const c = await connectClient(s.url, { roomIds: `${room},${room}-b` });
      const list: Message[] = [];
      c.on('newMsg', (m) => list.push(m));
      clients.push(c);
      got.push(list);
    }
    const o = await connectClient(servers[1]!.url, { source: 'open_src', roomIds: room, signKey: OPEN_KEY });
    clients.push(o);
    redis = new Redis(REDIS_URL);
  }, 60_000);

  afterAll(async () => {
    clients.forEach((c) => c.close());
    redis?.disconnect();
    await Promise.allSettled(servers.map((s) => s.close()));
    await dropPrefix(REDIS_URL, prefix);
  });

  const signed = (data: string, rooms = room, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ source: 'demo', room_id: rooms, data, sign: legacyNotifySign('demo', rooms, data, DEMO_KEY), ...extra });

  it('delivers a signed PUBLISH once to a client on each instance, with history and the filename log written once', async () => {
    const filename = `chat-${randomUUID().slice(0, 6)}.log`;
    await redis.publish(LEGACY_CHANNEL, signed('hello from php', room, { filename }));
    await until(() => got.every((g) => g.length >= 1), 10_000, 'delivery on both instances');

    for (const g of got) {
      expect(g).toHaveLength(1);
      expect(g[0]).toMatchObject({ source: 'demo', data: 'hello from php', room_id: room });
      expect(typeof g[0]!.offset).toBe('number');
    }
    // Both copies are the same stored message: one history position.
    expect(got[0]![0]!.offset).toBe(got[1]![0]!.offset);

    const auth = { authorization: `Bearer ${ADMIN_KEY}` };
    for (const s of servers) {
      const history = (await (await fetch(`${s.url}/api/history?source=demo&room_id=${room}`, { headers: auth })).json()) as {
        data: { messages: Message[] };
      };
      expect(history.data.messages.map((m) => m.data)).toEqual(['hello from php']);
    }
    const log = await fetch(`${servers[1]!.url}/api/logs?source=demo&filename=${filename}`, { headers: auth });
    expect(log.status).toBe(200);
    const lines = (await log.text()).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ source: 'demo', room_id: room, data: 'hello from php' });

    // The leader delivered it; the other instance claimed it after its fallback delay and found the leader's claim.
    const sum = async (o: string) => (await metric(servers[0]!, outcome(o))) + (await metric(servers[1]!, outcome(o)));
    await until(async () => (await sum('duplicate')) === 1, 10_000, 'the follower to find the claim');
    expect(await sum('delivered')).toBe(1);
    const [leader] = await leaders();
    expect(await metric(leader!, outcome('delivered'))).toBe(1);
  });

  it('signs a numeric room_id as its text and sends to several rooms, one newMsg per room', async () => {
    const before = got.map((g) => g.length);
    await redis.publish(LEGACY_CHANNEL, signed('two rooms', `${room},${room}-b`));
    await until(() => got.every((g, i) => g.length >= before[i]! + 2), 10_000, 'two rooms');
    for (const [i, g] of got.entries()) {
      expect(g.slice(before[i]).map((m) => [m.room_id, m.data])).toEqual([
        [room, 'two rooms'],
        [`${room}-b`, 'two rooms'],
      ]);
    }
  });

  it('takes unsigned messages, with any JSON data, from a source with publishMsgVerify false', async () => {
    const open = clients[2]!;
    const arrived = once<Message>(open, 'newMsg', 10_000);
    await redis.publish(LEGACY_CHANNEL, JSON.stringify({ source: 'open_src', room_id: room, data: { factory_count: 47 } }));
    expect(await arrived).toMatchObject({ source: 'open_src', room_id: room, data: { factory_count: 47 } });
  });

  it('counts and drops bad messages (sign, JSON, sys_info, from_sys, filename, data type) and stays up', async () => {
    const [a] = servers;
    const before = got.map((g) => g.length);
    const bad = [
      JSON.stringify({ source: 'demo', room_id: room, data: 'forged', sign: '0'.repeat(32) }),
      '{"source": "demo", "room_id": ',
      JSON.stringify({ sys_info: true, key: 'client_connect', log_file: sysLogPath, clientinfo: { room_ids: room } }),
      JSON.stringify({ source: 'demo', room_id: room, data: 'relayed by an original server', from_sys: true }),
      signed('escape', room, { filename: '../../etc/passwd' }),
      JSON.stringify({ source: 'demo', room_id: room, data: { a: 1 }, sign: legacyNotifySign('demo', room, '[object Object]', DEMO_KEY) }),
      JSON.stringify({ source: 'demo', room_id: room, data: 'unsigned' }),
      JSON.stringify({ source: 'nobody', room_id: room, data: 'x' }),
      JSON.stringify(['not', 'an', 'object']),
    ];
    for (const raw of bad) await redis.publish(LEGACY_CHANNEL, raw);
    await redis.publish(LEGACY_CHANNEL, signed('after the bad ones'));
    await until(() => got.every((g, i) => g.length >= before[i]! + 1), 10_000, 'the good message');

    // Nothing bad was delivered: the next message each client saw is the good one.
    for (const [i, g] of got.entries()) expect(g.slice(before[i]!).map((m) => m.data)).toEqual(['after the bad ones']);
    for (const [o, n] of [
      ['bad-sign', 1],
      ['bad-json', 1],
      ['sys-info', 1],
      ['from-sys', 1],
      ['bad-filename', 1],
      ['data-not-string', 1],
      ['no-sign', 1],
      ['unknown-source', 1],
      ['not-object', 1],
    ] as const) {
      expect(await metric(a!, outcome(o)), o).toBe(n);
    }
    // The original appended sys_info messages to the path they named; never here.
    expect(existsSync(sysLogPath)).toBe(false);
    for (const s of servers) expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('delivers byte-identical repeats within the claim window once (the documented cost)', async () => {
    const before = got.map((g) => g.length);
    const raw = signed('same text twice');
    await redis.publish(LEGACY_CHANNEL, raw);
    await redis.publish(LEGACY_CHANNEL, raw);
    await redis.publish(LEGACY_CHANNEL, signed('a different text'));
    await until(() => got.every((g, i) => g.length >= before[i]! + 2), 10_000, 'two messages');
    // Two messages may be claimed by two instances: their order is not promised, their number is.
    const sentinel = signed('sentinel');
    await redis.publish(LEGACY_CHANNEL, sentinel);
    await until(() => got.every((g, i) => g.length >= before[i]! + 3), 10_000, 'the sentinel');
    for (const [i, g] of got.entries()) {
      expect(g.slice(before[i]!).map((m) => m.data).sort()).toEqual(['a different text', 'same text twice', 'sentinel']);
    }
  });
  it("keeps a back end's sequence in order on every client (the leader claims and publishes one at a time)", async () => {
    const before = got.map((g) => g.length);
    const texts = Array.from({ length: 30 }, (_, i) => `seq-${i}`);
    for (const t of texts) await redis.publish(LEGACY_CHANNEL, signed(t));
    await until(() => got.every((g, i) => g.length >= before[i]! + texts.length), 15_000, 'the sequence');
    for (const [i, g] of got.entries()) expect(g.slice(before[i]!).map((m) => m.data)).toEqual(texts);
  });

  it('still delivers once when the leader is gone (the other instance takes over)', async () => {
    const [leader] = await leaders();
    const survivorIndex = servers[0] === leader ? 1 : 0;
    const survivor = servers[survivorIndex]!;
    await leader!.close();
    servers = servers.filter((s) => s !== leader);
    const before = got[survivorIndex]!.length;
    await redis.publish(LEGACY_CHANNEL, signed('after the leader left'));
    await until(() => got[survivorIndex]!.length >= before + 1, 15_000, 'the survivor to deliver');
    // A sentinel after it: nothing more than the one copy came.
    await until(async () => (await leaders()).length === 1, 15_000, 'a new leader');
    await redis.publish(LEGACY_CHANNEL, signed('sentinel after failover'));
    await until(() => got[survivorIndex]!.length >= before + 2, 15_000, 'the sentinel');
    expect(got[survivorIndex]!.slice(before).map((m) => m.data)).toEqual(['after the leader left', 'sentinel after failover']);
    expect(await metric(survivor, 'im_legacy_channel_leader')).toBe(1);
  });
});
