import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../packages/protocol';
import { connectClient, openClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { roomKey } from '../../server/core/rooms';
import { runImDebug } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once, until } from '../helpers/wait-for';
import { connectV2, openV2, type V2Client } from '../helpers/v2-client';

/**
 * Pages that still load the original project's script files bundle socket.io-client 2.x
 * (Engine.IO protocol 3). These tests use the real socket.io-client 2.5 the way the original
 * SDK did: the contract's query string on the URL, `postMsg(data, room_ids)` with no ack,
 * `sys_error` as the only error channel.
 */

const ADMIN = 'legacy-v2-admin-key-0123456789';
let server: TestServer;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  server = await startServer({ adminKey: ADMIN });
});
afterAll(async () => {
  for (const c of open) c.close();
  await server?.close();
});

async function v2(o: Parameters<typeof connectV2>[1]): Promise<V2Client> {
  const c = await connectV2(server.url, o);
  open.push(c);
  return c;
}
async function v4(o: Parameters<typeof connectClient>[1]): Promise<TestSocket> {
  const c = await connectClient(server.url, o);
  open.push(c);
  return c;
}
const admin = { authorization: `Bearer ${ADMIN}` };
/** What a newMsg's first argument says, without the server's stream position fields. */
const wire = (m: Message) => ({ source: m.source, room_id: m.room_id, data: m.data });

describe.each([['polling'], ['websocket']])('Socket.IO 2 clients over %s', (transport) => {
  const transports = [transport];
  const room = (name: string) => `${name}-${transport}`;

  it('uses Engine.IO 3 on the transport it asked for', async () => {
    const c = await v2({ roomIds: room('probe'), transports });
    expect(c.socket.io.engine.transport.name).toBe(transport);
    const [sock] = [...server.io.of('/').sockets.values()].filter((s) => s.data.rooms?.includes(room('probe')));
    expect(sock!.conn.protocol).toBe(3);
    expect(sock!.conn.transport.name).toBe(transport);
    c.close();
  });

  it('chat: two v2 pages and one v4 client see each other, postMsg without an ack', async () => {
    const r = room('chat');
    const alice = await v2({ roomIds: r, userid: 'a1', username: 'alice', transports });
    const bob = await v2({ roomIds: r, userid: 'b1', username: 'bob', transports });
    const carol = await v4({ roomIds: r, userid: 'c1', username: 'carol' });

    const toCarol = collectMessages(carol, 2, 10_000);
    alice.socket.emit('postMsg', { username: 'alice', text: '你好' }, r);
    await bob.until(() => bob.messages.length === 1, 'bob gets alice');
    expect(await carol.emitWithAck('postMsg', { username: 'carol', text: 'hi' }, r)).toEqual({ ok: true });
    for (const c of [alice, bob]) await c.until(() => c.messages.length === 2, 'two messages');
    expect((await toCarol).map(wire)).toEqual([
      { source: 'demo', room_id: r, data: { username: 'alice', text: '你好' } },
      { source: 'demo', room_id: r, data: { username: 'carol', text: 'hi' } },
    ]);
    for (const c of [alice, bob]) {
      expect(c.messages.map(wire)).toEqual([
        { source: 'demo', room_id: r, data: { username: 'alice', text: '你好' } },
        { source: 'demo', room_id: r, data: { username: 'carol', text: 'hi' } },
      ]);
    }
    // One argument per newMsg, as the original sent (no recovery offset after it).
    for (const c of [alice, bob]) expect(c.events.filter((e) => e[0] === 'newMsg').map((e) => e.length)).toEqual([2, 2]);
    // No acks, so a refused post is answered with the contract's sys_error string.
    alice.socket.emit('postMsg', '', r);
    expect(await alice.next('sys_error')).toBe('data can not be null!');
    alice.socket.emit('postMsg', 'x');
    expect(await alice.next('sys_error')).toBe('room_ids can not be null!');
    // The connection is still fine afterwards.
    alice.socket.emit('postMsg', 'still here', r);
    await bob.until(() => bob.messages.length === 3, 'bob gets the third');
    expect(bob.messages[2]!.data).toBe('still here');
    expect(alice.events.filter((e) => e[0] === 'disconnect')).toEqual([]);
    // socket.io-client 2 can ask for an ack (the original SDK never did): answered as for v4.
    const acked = await new Promise((resolve) => alice.socket.emit('postMsg', '', r, resolve));
    expect(acked).toEqual({ ok: false, error: { code: 'DATA_REQUIRED', message: 'data can not be null!' } });
    expect(await new Promise((resolve) => alice.socket.emit('postMsg', 'acked', r, resolve))).toEqual({ ok: true });
  });

  it('four-room notify: each page gets it once per room it is in, with that room_id', async () => {
    const rooms = ['r1', 'r2', 'r3', 'r4'].map(room);
    const pages = await Promise.all(rooms.map((r, i) => v2({ roomIds: r, userid: `p${i}`, transports })));
    const all = await v2({ roomIds: rooms.join(','), userid: 'all', transports });
    const res = await postForm(server.url, signedNotify(rooms.join(','), '{"n":4}'));
    expect(res.body).toEqual({ code: 1, msg: 'message notify successed!', data: '' });
    for (const [i, p] of pages.entries()) {
      await p.until(() => p.messages.length === 1, `page ${i}`);
      expect(wire(p.messages[0]!)).toEqual({ source: 'demo', room_id: rooms[i], data: '{"n":4}' });
    }
    await all.until(() => all.messages.length === rooms.length, 'the page in all four rooms');
    expect(all.messages.map((m) => m.room_id).sort()).toEqual([...rooms].sort());
  });

  it('watch_quit: the others get the quit message when a v2 page leaves', async () => {
    const r = room('quit');
    const stays = await v2({ roomIds: r, userid: 's1', username: 'stays', transports });
    const leaves = await v2({ roomIds: r, userid: 'l1', username: 'spring', transports, extra: { watch_quit: '1' } });
    leaves.close();
    await stays.until(() => stays.messages.length === 1, 'the quit message');
    expect(wire(stays.messages[0]!)).toEqual({ source: 'demo', room_id: r, data: { username: 'spring', key: 'user_quit', msg: 'spring退出群聊' } });
  });

  it('refreshPage reaches a v2 page', async () => {
    const r = room('refresh');
    const page = await v2({ roomIds: r, transports });
    const refreshed = page.next('refreshPage');
    const res = await fetch(`${server.url}/api/refresh`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'demo', room_id: r }),
    });
    expect(res.status).toBe(200);
    await refreshed;
  });

  it('presence: a v2 page is online and its page views (sent without an ack) are kept', async () => {
    const r = room('presence');
    const userid = `v2-${transport}`;
    const page = await v2({ roomIds: r, userid, username: 'old page', transports });
    const online = async () => {
      const res = await fetch(`${server.url}/api/online?source=demo&room_id=${r}`, { headers: admin });
      return ((await res.json()) as { data: { list: Array<{ userid: string }> } }).data.list.map((u) => u.userid);
    };
    await until(async () => (await online()).includes(userid), 10_000, 'the v2 page online');
    page.socket.emit('pageView', { url: 'https://shop.test/cart', title: 'Cart' });
    await until(async () => (await server.presence.pageViews('demo', userid)).length === 1, 10_000, 'the page view');
    expect((await server.presence.pageViews('demo', userid))[0]).toMatchObject({ url: 'https://shop.test/cart', title: 'Cart', userid });
    page.close();
    await until(async () => !(await online()).includes(userid), 15_000, 'the v2 page offline');
  });

  describe('refusals', () => {
    it('a bad sign reaches the page as the original sys_error string, then a server disconnect (no retry)', async () => {
      const r = room('secret');
      const member = await v2({ roomIds: r, userid: 'member', transports });
      const refused = openV2(server.url, { roomIds: r, userid: 'intruder', sign: 'not-the-sign', transports, reconnection: true });
      open.push(refused);
      // The moment it is "connected" it posts, as an original page does on connect.
      refused.socket.on('connect', () => refused.socket.emit('postMsg', 'from the refused page', r));
      await refused.until(() => refused.events.some((e) => e[0] === 'disconnect'), 'the disconnect');
      const names = refused.events.map((e) => e[0]);
      expect(names).toEqual(['connect', 'sys_error', 'disconnect']);
      expect(refused.events[1]).toEqual(['sys_error', 'sign verify failed!']);
      // "io server disconnect": socket.io-client 2 does not reconnect after it.
      expect(refused.events[2]![1]).toBe('io server disconnect');

      // Nothing was accepted from it and nothing reaches it: a notify to the room it asked for
      // gets to the member only.
      expect((await postForm(server.url, signedNotify(r, 'after the refusal'))).body.code).toBe(1);
      await member.until(() => member.messages.length === 1, 'the member gets the notify');
      expect(member.messages.map((m) => m.data)).toEqual(['after the refusal']);
      expect(refused.messages).toEqual([]);
      expect(refused.events.some((e) => e[0] === 'reconnect_attempt')).toBe(false);
    });

    it('a notify sent while a refused page is being let go never reaches it, and it is in no room or presence list', async () => {
      const r = room('guarded');
      const member = await v2({ roomIds: r, userid: 'member2', transports });
      const refused = openV2(server.url, { roomIds: r, userid: 'intruder2', sign: 'bad', transports });
      open.push(refused);
      let notified: Promise<unknown> | undefined;
      refused.socket.on('connect', () => {
        notified = postForm(server.url, signedNotify(r, 'while refused'));
      });
      await refused.until(() => refused.events.some((e) => e[0] === 'disconnect'), 'the disconnect');
      await notified;
      await member.until(() => member.messages.length === 1, 'the member gets the notify');
      expect(refused.messages).toEqual([]);
      const members = server.io.of('/').adapter.rooms.get(roomKey('demo', r));
      const inRoom = [...server.io.of('/').sockets.values()].filter((s) => s.data.rooms?.includes(r)).map((s) => s.data.userid);
      expect(inRoom).toEqual(['member2']);
      expect(members?.size).toBe(1);
      const res = await fetch(`${server.url}/api/online?source=demo&room_id=${r}`, { headers: admin });
      const list = ((await res.json()) as { data: { list: Array<{ userid: string }> } }).data.list.map((u) => u.userid);
      expect(list).not.toContain('intruder2');
    });

    it.each([
      [{ source: '' }, 'source can not be null!'],
      [{ sign: '' }, 'cilent connect sign can not be null!'],
      [{ roomIds: '' , sign: 'x' }, 'room_ids can not be null!'],
      [{ source: 'no_such_source' }, 'this source can not be configured!'],
    ])('%j: sys_error %s', async (o, expected) => {
      const refused = openV2(server.url, { roomIds: room('x'), transports, ...o });
      open.push(refused);
      await refused.until(() => refused.events.some((e) => e[0] === 'disconnect'), 'the disconnect');
      expect(refused.events.filter((e) => e[0] === 'sys_error').map((e) => e[1])).toEqual([expected]);
    });
  });
});

describe('Socket.IO 4 clients are refused as before', () => {
  it('connect_error with {code, message}, no sys_error, no connect', async () => {
    const c = openClient(server.url, { roomIds: 'v4-refused', sign: 'bad' });
    open.push(c);
    let sysError = false;
    c.on('sys_error', () => (sysError = true));
    const err = (await once(c, 'connect_error')) as Error & { data?: unknown };
    expect(err.message).toBe('sign verify failed!');
    expect(err.data).toEqual({ code: 'BAD_SIGN', message: 'sign verify failed!' });
    expect(c.connected).toBe(false);
    expect(sysError).toBe(false);
  });
});

describe('im_legacy_clients', () => {
  it('counts the Socket.IO 2 clients connected, up and down; v4 clients are not in it', async () => {
    const s = await startServer();
    try {
      const count = async () => {
        const text = await (await fetch(`${s.url}/metrics`)).text();
        return {
          legacy: Number(/^im_legacy_clients (\d+)$/m.exec(text)?.[1]),
          sockets: Number(/^im_sockets (\d+)$/m.exec(text)?.[1]),
        };
      };
      expect(await count()).toEqual({ legacy: 0, sockets: 0 });
      const a = await connectV2(s.url, { roomIds: 'm', transports: ['polling'] });
      const b = await connectV2(s.url, { roomIds: 'm', transports: ['websocket'] });
      const c = await connectClient(s.url, { roomIds: 'm' });
      expect(await count()).toEqual({ legacy: 2, sockets: 3 });
      a.close();
      await until(async () => (await count()).legacy === 1, 10_000, 'one v2 client left');
      b.close();
      c.close();
      await until(async () => (await count()).sockets === 0, 10_000, 'everyone gone');
      expect((await count()).legacy).toBe(0);
      // A refused v2 client is not left counted.
      const refused = openV2(s.url, { roomIds: 'm', sign: 'bad' });
      await refused.until(() => refused.events.some((e) => e[0] === 'disconnect'), 'the disconnect');
      await until(async () => (await count()).legacy === 0, 10_000, 'the refused client gone');
    } finally {
      await s.close();
    }
  });
});

describe("the original debug hook's console.log", () => {
  it('reaches im-debug tail --json exactly as sent, and the plain output as a LOG row', async () => {
    const json = runImDebug(['tail', '--server', server.url, '--room', 'console-log', '--json']);
    const plain = runImDebug(['tail', '--server', server.url, '--room', 'console-log', '--plain']);
    try {
      await Promise.all([json, plain].map((p) => p.stderrLine(/^im-debug: following /, 20_000)));
      // The original hook: signed as remote_debug, room console-log, `postMsg(arguments, "console-log")`.
      const hook = await v2({ source: 'remote_debug', roomIds: 'console-log', userid: 'hook', username: 'hook' });
      (function (..._args: unknown[]) {
        // eslint-disable-next-line prefer-rest-params
        hook.socket.emit('postMsg', arguments, 'console-log');
      })('cart total', 42, { items: ['a', 'b'] });
      const [line] = await json.stdoutLines(1, 20_000);
      const got = JSON.parse(line!) as Message;
      expect(got).toMatchObject({ source: 'remote_debug', room_id: 'console-log', data: { 0: 'cart total', 1: 42, 2: { items: ['a', 'b'] } } });
      expect(Object.keys(got.data as object)).toEqual(['0', '1', '2']);
      const text = await plain.stdoutLine(/cart total/, 20_000);
      expect(text).toMatch(/^\S+ LOG {3}cart total 42 \{ items: \['a', 'b'\] \}$/);
      expect(text).not.toContain('"0"');
    } finally {
      await Promise.all([json.stop(), plain.stop()]);
    }
  }, 60_000);
});
