import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyConnectSign, signRequest } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once } from '../helpers/wait-for';

const SHOP_KEY = 'shop-key-0123456';
const ADMIN_KEY = 'Admin-Key-For-Tests-0123';

interface ConnectErr extends Error {
  data?: { code: string; message: string };
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    adminKey: ADMIN_KEY,
    sources: {
      demo: { signKey: DEMO_SOURCES.demo.signKey },
      remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log', 'debug-*'] } },
      shop: {
        signKey: SHOP_KEY,
        rights: { join: ['lobby', 'order-*', 'user-{userid}'], post: ['{joined}', 'support'] },
        connectOrigins: ['https://shop.example'],
      },
      readonly: { signKey: 'readonly-key-0123', rights: { join: ['*'], post: [] } },
    },
  });
});
afterAll(() => server.close());

function open(url: string, extraHeaders?: Record<string, string>): TestSocket {
  return io(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders });
}

async function outcome(url: string, extraHeaders?: Record<string, string>): Promise<{ socket?: TestSocket; err?: ConnectErr }> {
  const socket = open(url, extraHeaders);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (err: ConnectErr) => {
      socket.close();
      resolve({ err });
    });
  });
}

function shopUrl(rooms: string, o: { strong?: boolean; userid?: string; signedUserid?: string } = {}): string {
  const userid = o.userid ?? '7';
  const q = o.strong
    ? signRequest({ kind: 'connect', source: 'shop', roomIds: rooms, userid: o.signedUserid ?? userid, signKey: SHOP_KEY })
    : { source: 'shop', room_ids: rooms, sign: legacyConnectSign('shop', rooms, SHOP_KEY) };
  return `${server.url}?${new URLSearchParams({ ...q, userid, username: 'u' }).toString()}`;
}

describe('join rights', () => {
  it('lets a client join the rooms its source allows (exact and pattern)', async () => {
    const { socket, err } = await outcome(shopUrl('lobby,order-1'), { origin: 'https://shop.example' });
    expect(err).toBeUndefined();
    socket!.close();
  });

  it('refuses a room outside the patterns, even with a valid sign', async () => {
    for (const rooms of ['admin', 'lobby,admin', 'order', 'xorder-1', 'lobby2']) {
      const { err } = await outcome(shopUrl(rooms));
      expect(err?.data?.code, rooms).toBe('FORBIDDEN');
      expect(err?.message).toMatch(/may not join room/);
    }
  });

  it('grants {userid} rooms only to a strongly signed user for their own id', async () => {
    const own = await outcome(shopUrl('user-7', { strong: true }));
    expect(own.err).toBeUndefined();
    own.socket!.close();
    // Someone else's private room, signed by the back end for user 7: refused.
    expect((await outcome(shopUrl('user-8', { strong: true }))).err?.data?.code).toBe('FORBIDDEN');
    // A legacy sign does not bind the userid, so `{userid}` grants nothing.
    expect((await outcome(shopUrl('user-7'))).err?.data?.code).toBe('FORBIDDEN');
    // Claiming to be user 8 with user 7's sign.
    expect((await outcome(shopUrl('user-8', { strong: true, userid: '8', signedUserid: '7' }))).err?.data?.code).toBe('BAD_SIGN');
  });

  it('refuses pages from origins the source does not list (browsers send Origin)', async () => {
    const { err } = await outcome(shopUrl('lobby'), { origin: 'https://evil.example' });
    expect(err?.data).toEqual({ code: 'FORBIDDEN', message: 'pages from origin https://evil.example may not connect to source shop' });
    // Sources with the default ["*"] accept any origin (the seed's cross-origin pages).
    const demo = await connectClient(server.url, { options: { extraHeaders: { origin: 'https://anywhere.example' } } });
    demo.close();
  });
});

describe('post rights', () => {
  it('{joined} allows posting to the joined rooms only; exact names add others', async () => {
    const { socket } = await outcome(shopUrl('lobby'));
    const c = socket!;
    const got = collectMessages(c, 1);
    expect(await c.emitWithAck('postMsg', 'hello', 'lobby')).toEqual({ ok: true });
    expect((await got)[0]).toMatchObject({ room_id: 'lobby', data: 'hello' });
    expect(await c.emitWithAck('postMsg', 'hi', 'support')).toEqual({ ok: true });
    const refused = await c.emitWithAck('postMsg', 'x', 'order-1');
    expect(refused).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'this client may not post to room "order-1" of source shop' } });
    // A list with one forbidden room is refused whole: nothing is delivered to the allowed one.
    expect(await c.emitWithAck('postMsg', 'x', 'lobby,order-1')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const entry = { kind: 'log', v: 1, level: 'info', method: 'log', args: ['x'], ts: 1, seq: 1, session: 's', origin: 'node' };
    expect(await c.emitWithAck('postLogs', [entry], 'order-1')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    c.close();
  });

  it('an empty post list makes a read-only client; old clients without an ack get sys_error', async () => {
    const rooms = 'news';
    const reader = await connectClient(server.url, { source: 'readonly', roomIds: rooms, signKey: 'readonly-key-0123' });
    const err = once<string>(reader, 'sys_error');
    reader.emit('postMsg', 'spam', rooms);
    expect(await err).toBe('this client may not post to room "news" of source readonly');
    reader.close();
  });

  it('rooms of one source are never reachable from another', async () => {
    const demo = await connectClient(server.url, { roomIds: 'lobby' });
    const { socket: shop } = await outcome(shopUrl('lobby'));
    const shopGot = collectMessages(shop!, 1);
    await demo.emitWithAck('postMsg', 'from-demo', 'lobby');
    await shop!.emitWithAck('postMsg', 'from-shop', 'lobby');
    expect((await shopGot)[0]).toMatchObject({ source: 'shop', data: 'from-shop' });
    demo.close();
    shop!.close();
  });
});

describe('publish-only hooks', () => {
  it('may publish to rooms matching hook.rooms patterns and never read them', async () => {
    const reader = await connectClient(server.url, { source: 'remote_debug', roomIds: 'debug-app' });
    const hook = open(`${server.url}?source=remote_debug&room_ids=debug-app&role=publisher`);
    await once(hook, 'connect');
    const entry = { kind: 'log', v: 1, level: 'info', method: 'log', args: ['x'], ts: 1, seq: 1, session: 's', origin: 'browser' };
    const got = collectMessages(reader, 1);
    expect(await hook.emitWithAck('postLogs', [entry], 'debug-app')).toEqual({ ok: true });
    expect((await got)[0]!.data).toMatchObject({ kind: 'log', args: ['x'] });
    expect(await hook.emitWithAck('postLogs', [entry], 'other')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await hook.emitWithAck('history', { room_id: 'debug-app' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    hook.close();
    reader.close();
    const { err } = await outcome(`${server.url}?source=remote_debug&room_ids=secret&role=publisher`);
    expect(err?.data?.code).toBe('FORBIDDEN');
  });
});

describe('admin key', () => {
  it('opens operator read-outs only when given exactly (no case folding, no prefix)', async () => {
    const read = (auth: string) =>
      fetch(`${server.url}/api/history?source=shop&room_id=lobby`, { headers: { authorization: auth } }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { code: number; error?: string },
      }));
    expect((await read(`Bearer ${ADMIN_KEY}`)).status).toBe(200);
    for (const wrong of [`Bearer ${ADMIN_KEY.toLowerCase()}`, `Bearer ${ADMIN_KEY.slice(0, -1)}`, `Bearer ${ADMIN_KEY}x`, ADMIN_KEY, 'Bearer ']) {
      const res = await read(wrong);
      expect(res.status, wrong).not.toBe(200);
      expect(res.body.code).toBe(0);
    }
  });
});

describe('configuration', () => {
  it('refuses malformed room patterns at start-up, naming the key', async () => {
    await expect(
      startServer({ sources: { x: { signKey: 'x-key-01234', rights: { join: ['a b'], post: ['*'] } } } }),
    ).rejects.toThrow(/sources\.x\.rights\.join\.0/);
  });
});
