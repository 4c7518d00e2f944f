import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckResult, ClientInfo, Message, OnlineUser, PageViewRecord } from '../../packages/protocol';
import { legacyConnectSign, operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { once, until } from '../helpers/wait-for';

const ADMIN = 'admin-key-for-presence-tests-0123';
const KEYS: Record<string, string> = { demo: DEMO_SOURCES.demo.signKey, remote_debug: DEMO_SOURCES.remote_debug.signKey };

// A clock the test moves by hand, so grace periods pass without waiting.
let clock = Date.now();
let server: TestServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer(
    {
      adminKey: ADMIN,
      sources: {
        demo: { signKey: KEYS.demo!, presence: { room: 'presence', graceMs: 5000 } },
        remote_debug: { signKey: KEYS.remote_debug!, hook: { rooms: ['console-log'] } },
      },
    },
    { now: () => clock },
  );
});
afterAll(async () => {
  for (const s of open) s.close();
  await server.close();
});

async function client(userid: string, roomIds = 'lobby', source = 'demo', extra: Record<string, string> = {}): Promise<TestSocket> {
  const s = await connectClient(server.url, { userid, username: `name-${userid}`, roomIds, source, extra });
  open.push(s);
  return s;
}

function signedQuery(action: string, source: string, subject: string, fields: Record<string, string> = {}): string {
  const ts = String(Math.floor(clock / 1000));
  return new URLSearchParams({ source, ...fields, ts, sign: operatorSign(KEYS[source]!, action, source, subject, ts) }).toString();
}

async function getJson(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { headers });
  return { status: res.status, body: (await res.json()) as { code: number; msg: string; data: any; error?: string } };
}

const online = async (source = 'demo', room = '') => {
  const { status, body } = await getJson(`/api/online?${signedQuery('online', source, room, room ? { room_id: room } : {})}`);
  expect(status).toBe(200);
  return body.data as { users: number; connections: number; rooms: Record<string, { users: number; connections: number }>; list: OnlineUser[] };
};

function emitAck<T = undefined>(socket: TestSocket, event: 'clientInfo' | 'pageView', payload: unknown): Promise<AckResult<T>> {
  return new Promise((resolve) => (socket.emit as any)(event, payload, resolve));
}

async function disconnect(s: TestSocket, userid: string, expected: number): Promise<void> {
  s.close();
  await until(async () => (await server.presence.store.userConnections('demo', userid)) === expected, 5000, `${userid} at ${expected} connections`);
}

describe('online users (one instance)', () => {
  it('counts people, not connections, per source and per room', async () => {
    const tabs = [await client('alice', 'lobby'), await client('alice', 'lobby,sales'), await client('alice', 'lobby')];
    const bob = await client('bob', 'sales');
    await client('eve', 'lobby', 'remote_debug');
    await until(async () => (await online()).connections === 4, 5000, 'four demo connections');

    const all = await online();
    expect(all.users).toBe(2);
    const alice = all.list.find((u) => u.userid === 'alice')!;
    expect(alice).toMatchObject({ username: 'name-alice', connections: 3 });
    expect([...alice.rooms].sort()).toEqual(['lobby', 'sales']);
    expect(all.rooms).toEqual({ lobby: { users: 1, connections: 3 }, sales: { users: 2, connections: 2 } });
    // Never another source's users.
    expect(all.list.map((u) => u.userid).sort()).toEqual(['alice', 'bob']);

    const sales = await online('demo', 'sales');
    expect(sales).toMatchObject({ users: 2, connections: 2, rooms: { sales: { users: 2, connections: 2 } } });

    await disconnect(tabs[0]!, 'alice', 2);
    expect((await online()).list.find((u) => u.userid === 'alice')!.connections).toBe(2);
    await disconnect(tabs[1]!, 'alice', 1);
    await disconnect(tabs[2]!, 'alice', 0);
    await disconnect(bob, 'bob', 0);
    expect((await online()).users).toBe(0);
    expect((await online('remote_debug')).list.map((u) => u.userid)).toEqual(['eve']);
  });

  it('does not count publish-only hook connections as users', async () => {
    const hook = await connectClient(server.url, {
      source: 'remote_debug',
      roomIds: 'console-log',
      sign: '',
      extra: { role: 'publisher' },
    });
    open.push(hook);
    const refused = await emitAck(hook, 'pageView', { url: 'https://x.test/' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await online('remote_debug')).list.map((u) => u.userid)).not.toContain('hook');
  });

  it('keeps the browser info a client reports and refuses malformed or oversized info', async () => {
    const s = await client('carol');
    const info: ClientInfo = {
      url: 'https://shop.test/cart',
      title: 'Cart',
      referrer: 'https://search.test/',
      language: 'zh-CN',
      languages: ['zh-CN', 'en'],
      timeZone: 'Asia/Shanghai',
      timezoneOffset: -480,
      screen: { width: 1920, height: 1080, pixelRatio: 2 },
      viewport: { width: 1280, height: 720 },
      userAgent: 'Mozilla/5.0 (test)',
    };
    expect(await emitAck(s, 'clientInfo', info)).toEqual({ ok: true });
    const carol = (await online()).list.find((u) => u.userid === 'carol')!;
    expect(carol.client).toEqual(info);
    expect(carol.page).toMatchObject({ url: 'https://shop.test/cart', title: 'Cart' });

    expect(await emitAck(s, 'clientInfo', { title: 'no url' })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER' } });
    expect(await emitAck(s, 'clientInfo', { ...info, userAgent: 'x'.repeat(10_000) })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PARAMETER' },
    });
    expect(await emitAck(s, 'clientInfo', 'nope')).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER' } });
    // Without an ack, the contract's sys_error string.
    const err = once<string>(s, 'sys_error');
    s.emit('clientInfo', { url: 42 } as never);
    expect(await err).toMatch(/clientInfo/);
    await disconnect(s, 'carol', 0);
  });

  it('keeps recent page views per user, newest first, signed per source', async () => {
    const s = await client('dave');
    for (const [i, nav] of (['load', 'push', 'pop'] as const).entries()) {
      expect(await emitAck(s, 'pageView', { url: `https://app.test/#/${i}`, title: `page ${i}`, nav, ts: clock })).toEqual({ ok: true });
    }
    const res = await getJson(`/api/pageviews?${signedQuery('pageviews', 'demo', 'dave', { userid: 'dave' })}`);
    expect(res.status).toBe(200);
    const list = res.body.data.list as PageViewRecord[];
    expect(list.map((v) => [v.url, v.nav])).toEqual([
      ['https://app.test/#/2', 'pop'],
      ['https://app.test/#/1', 'push'],
      ['https://app.test/#/0', 'load'],
    ]);
    expect((await online()).list.find((u) => u.userid === 'dave')!.page).toMatchObject({ url: 'https://app.test/#/2' });
    // The same userid in another source has none of them.
    const other = await getJson(`/api/pageviews?${signedQuery('pageviews', 'remote_debug', 'dave', { userid: 'dave' })}`);
    expect(other.body.data.list).toEqual([]);
    expect(await emitAck(s, 'pageView', { url: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER' } });
    await disconnect(s, 'dave', 0);
  });

  it('rate-limits tracking events per connection', async () => {
    const s = await client('flood');
    // The test's clock stands still: exactly the burst gets through.
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => emitAck(s, 'pageView', { url: `https://x.test/${i}` })));
    expect(answers.filter((a) => a.ok)).toHaveLength(30);
    expect(answers.find((a) => !a.ok)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    await disconnect(s, 'flood', 0);
  });

  it('lists the users seen today (and the original /today path)', async () => {
    await client('gina');
    const date = new Date(clock).toISOString().slice(0, 10);
    const res = await getJson(`/api/today?${signedQuery('today', 'demo', '')}`);
    expect(res.status).toBe(200);
    expect(res.body.data.date).toBe(date);
    expect(res.body.data.list.map((u: { userid: string }) => u.userid)).toEqual(expect.arrayContaining(['alice', 'bob', 'gina']));
    expect(res.body.data.list.map((u: { userid: string }) => u.userid)).not.toContain('eve');
    const alice = res.body.data.list.find((u: { userid: string }) => u.userid === 'alice');
    expect(alice.connections).toBe(3);

    const legacy = await getJson(`/today?${signedQuery('today', 'demo', date, { date })}`);
    expect(legacy.body.data.users).toBe(res.body.data.users);
    const bad = await getJson(`/api/today?${signedQuery('today', 'demo', 'yesterday', { date: 'yesterday' })}`);
    expect(bad).toMatchObject({ status: 400, body: { error: 'INVALID_PARAMETER' } });
  });
});

describe('read-outs are signed per source', () => {
  it('refuses a wrong sign, a connect sign, a sign for another action or source, and a stale ts', async () => {
    const ts = String(Math.floor(clock / 1000));
    const wrong = await getJson(`/api/online?source=demo&ts=${ts}&sign=${'0'.repeat(64)}`);
    expect(wrong).toMatchObject({ status: 401, body: { code: 0, error: 'BAD_SIGN' } });
    const connectSign = await getJson(`/api/online?source=demo&ts=${ts}&sign=${legacyConnectSign('demo', 'lobby', KEYS.demo!)}`);
    expect(connectSign.body.error).toBe('BAD_SIGN');
    const otherAction = await getJson(`/api/online?source=demo&ts=${ts}&sign=${operatorSign(KEYS.demo!, 'today', 'demo', '', ts)}`);
    expect(otherAction.body.error).toBe('BAD_SIGN');
    // remote_debug's key cannot read demo.
    const otherKey = await getJson(`/api/online?source=demo&ts=${ts}&sign=${operatorSign(KEYS.remote_debug!, 'online', 'demo', '', ts)}`);
    expect(otherKey.body.error).toBe('BAD_SIGN');
    const old = String(Number(ts) - 3600);
    const stale = await getJson(`/api/online?source=demo&ts=${old}&sign=${operatorSign(KEYS.demo!, 'online', 'demo', '', old)}`);
    expect(stale).toMatchObject({ status: 401, body: { error: 'STALE_TIMESTAMP' } });
    expect((await getJson('/api/online?source=demo')).body.error).toBe('SIGN_REQUIRED');
    expect((await getJson('/online?source=nope&ts=1&sign=x')).body.error).toBe('UNKNOWN_SOURCE');
    expect((await getJson(`/api/pageviews?${signedQuery('pageviews', 'demo', '')}`)).body.error).toBe('USERID_REQUIRED');
    // A sign for one room does not open another.
    const roomSign = await getJson(`/api/online?source=demo&room_id=sales&ts=${ts}&sign=${operatorSign(KEYS.demo!, 'online', 'demo', 'lobby', ts)}`);
    expect(roomSign.body.error).toBe('BAD_SIGN');
  });

  it('opens with the admin key, for the source asked only', async () => {
    const res = await getJson('/online?source=remote_debug', { authorization: `Bearer ${ADMIN}` });
    expect(res).toMatchObject({ status: 200, body: { code: 1, data: { source: 'remote_debug' } } });
    expect(res.body.data.list.map((u: OnlineUser) => u.userid)).toEqual(['eve']);
    const wrong = await getJson('/online?source=remote_debug', { authorization: 'Bearer not-the-admin-key-at-all' });
    expect(wrong.body.error).toBe('SIGN_REQUIRED');
  });
});

describe('join and leave signals', () => {
  /** Messages of the presence room up to a marker pushed after the action, so absence is provable. */
  async function presenceMessagesAfter(watcher: TestSocket, userid: string, action: () => Promise<void>): Promise<unknown[]> {
    const got: Message[] = [];
    const on = (m: Message) => got.push(m);
    watcher.on('newMsg', on);
    await action();
    const marker = `marker-${Math.random()}`;
    await postForm(server.url, signedNotify('presence', marker));
    await until(() => got.some((m) => m.data === marker), 5000, 'the marker');
    watcher.off('newMsg', on);
    // Earlier tests' users leave too when the clock moves; only this user's signals count here.
    return got.map((m) => m.data).filter((d) => (d as { userid?: string }).userid === userid);
  }

  it('announces the first connection, ignores more tabs and a reload within the grace, announces the last leaving', async () => {
    const watcher = await client('watcher', 'presence');
    let tab: TestSocket;
    const joined = await presenceMessagesAfter(watcher, 'henry', async () => {
      tab = await client('henry');
      await until(async () => (await server.presence.store.userConnections('demo', 'henry')) === 1);
    });
    expect(joined).toEqual([{ key: 'user_join', userid: 'henry', username: 'name-henry', ts: clock }]);

    const quiet = await presenceMessagesAfter(watcher, 'henry', async () => {
      const second = await client('henry');
      await disconnect(second, 'henry', 1);
      // A reload: the only tab closes and a new one opens before the grace ends.
      await disconnect(tab!, 'henry', 0);
      tab = await client('henry');
      clock += 6000;
      await server.presence.tick();
    });
    expect(quiet).toEqual([]);

    const left = await presenceMessagesAfter(watcher, 'henry', async () => {
      await disconnect(tab!, 'henry', 0);
      await server.presence.tick();
      expect(await server.presence.store.userConnections('demo', 'henry')).toBe(0);
      clock += 6000;
      await server.presence.tick();
    });
    expect(left).toEqual([{ key: 'user_leave', userid: 'henry', username: 'name-henry', ts: clock }]);
  });

  it('still sends the contract\'s watch_quit message', async () => {
    const watcher = await client('w2', 'quitroom');
    const quitter = await client('ivan', 'quitroom', 'demo', { watch_quit: '1' });
    const msg = once<Message>(watcher, 'newMsg');
    quitter.close();
    expect((await msg).data).toEqual({ username: 'name-ivan', key: 'user_quit', msg: 'name-ivan退出群聊' });
  });
});

describe('live stream and shutdown', () => {
  it('ends open monitor streams when the server shuts down, instead of waiting for them', async () => {
    // A long shutdown timeout: were the stream to hold the shutdown, this test would time out.
    const own = await startServer({ adminKey: ADMIN, shutdownTimeoutMs: 120_000 });
    const res = await fetch(`${own.url}/api/presence/stream?source=demo`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
    await own.close();
    while (!(await reader.read()).done);
  });
});
