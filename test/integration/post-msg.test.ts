import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../helpers/connect-client';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once } from '../helpers/wait-for';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ limits: { maxMessageBytes: 2048 } });
});
afterAll(() => server.close());

describe('postMsg', () => {
  it('delivers to each room once, with room_id naming that room, to every member including the sender', async () => {
    const alice = await connectClient(server.url, { roomIds: 'chat1,chat2', username: 'alice' });
    const bob = await connectClient(server.url, { roomIds: 'chat2', username: 'bob' });
    const aliceGot = collectMessages(alice, 2);
    const bobGot = collectMessages(bob, 1);
    const data = { text: '你好', n: 1 };
    const ack = await alice.emitWithAck('postMsg', data, 'chat1,chat2');
    expect(ack).toEqual({ ok: true });
    const a = await aliceGot;
    expect(a.map((m) => m.room_id).sort()).toEqual(['chat1', 'chat2']);
    expect(a[0]).toMatchObject({ source: 'demo', data });
    expect(await bobGot).toEqual([expect.objectContaining({ source: 'demo', data, room_id: 'chat2' })]);
    alice.close();
    bob.close();
  });

  it('works without an ack, as the seed SDK calls it', async () => {
    const c = await connectClient(server.url, { roomIds: 'plain' });
    const got = collectMessages(c, 1);
    c.emit('postMsg', 'hello', 'plain');
    expect((await got)[0]).toMatchObject({ data: 'hello', room_id: 'plain' });
    c.close();
  });

  it('reports errors through the ack, or as sys_error without one', async () => {
    const c = await connectClient(server.url, { roomIds: 'x' });
    expect(await c.emitWithAck('postMsg', 'hi', '')).toEqual({
      ok: false,
      error: { code: 'ROOMS_REQUIRED', message: 'room_ids can not be null!' },
    });
    expect(await c.emitWithAck('postMsg', 'x'.repeat(5000), 'x')).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await c.emitWithAck('postMsg', null, 'x')).toMatchObject({ ok: false, error: { code: 'DATA_REQUIRED' } });
    expect(await c.emitWithAck('postMsg', 'hi', 'bad room!')).toMatchObject({ ok: false, error: { code: 'INVALID_ROOM' } });
    const sysError = once<string>(c, 'sys_error');
    c.emit('postMsg', 'hi', { not: 'a string' } as unknown as string);
    expect(await sysError).toBe('room_ids must be a single string value');
    expect(c.connected).toBe(true);
    c.close();
  });

  it('answers every acknowledged event sent with too few arguments instead of leaving it hanging', async () => {
    const c = await connectClient(server.url, { roomIds: 'x' });
    const emit = c.emitWithAck.bind(c) as (ev: string, ...args: unknown[]) => Promise<unknown>;
    for (const event of ['postMsg', 'postLogs', 'history', 'clientInfo', 'pageView']) {
      expect(await emit(event)).toMatchObject({ ok: false, error: { code: expect.any(String) } });
    }
    c.close();
  });

  it('announces a watch_quit client leaving to its rooms', async () => {
    const watcher = await connectClient(server.url, { roomIds: 'lobby', username: 'watcher' });
    const leaver = await connectClient(server.url, { roomIds: 'lobby', username: 'spring', extra: { watch_quit: '1' } });
    const got = collectMessages(watcher, 1);
    leaver.close();
    expect((await got)[0]).toMatchObject({
      source: 'demo',
      room_id: 'lobby',
      data: { username: 'spring', key: 'user_quit', msg: 'spring退出群聊' },
    });
    watcher.close();
  });

  it('numbers messages per room and serves them as history to members', async () => {
    const c = await connectClient(server.url, { roomIds: 'hist' });
    const got = collectMessages(c, 3);
    for (const n of [1, 2, 3]) await c.emitWithAck('postMsg', n, 'hist');
    const msgs = await got;
    expect(msgs.map((m) => m.data)).toEqual([1, 2, 3]);
    const [first] = msgs;
    const res = await c.emitWithAck('history', { room_id: 'hist', since: first!.offset, epoch: first!.epoch });
    expect(res).toMatchObject({ ok: true, result: { room_id: 'hist', truncated: false } });
    if (!res.ok) throw new Error('unreachable');
    expect(res.result.messages.map((m) => m.data)).toEqual([2, 3]);
    const denied = await c.emitWithAck('history', { room_id: 'not-mine' });
    expect(denied).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const malformed = await c.emitWithAck('history', { room_id: 5 } as never);
    expect(malformed).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER' } });
    c.close();
  });

  it('forbids posting when the source turns client posts off', async () => {
    const locked = await startServer({
      sources: { demo: { signKey: 'try4dfs%#fs!#$2334ds(%B)', clientPost: false } },
    });
    const c = await connectClient(locked.url, { roomIds: 'r' });
    expect(await c.emitWithAck('postMsg', 'x', 'r')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    c.close();
    await locked.close();
  });
});

describe('postLogs from an unsigned hook', () => {
  it('applies the hook size limit (never above the server limit) and delivers entries within it', async () => {
    const s = await startServer({
      sources: {
        remote_debug: { signKey: '5iwdf$%sdfss!#$2334ds(%B)', hook: { rooms: ['console-log'], maxEntryBytes: 600 } },
      },
    });
    const reader = await connectClient(s.url, { source: 'remote_debug', roomIds: 'console-log' });
    const { io } = await import('socket.io-client');
    const hook = io(`${s.url}?source=remote_debug&room_ids=console-log&role=publisher`, { transports: ['websocket'], forceNew: true });
    await once(hook, 'connect');
    const entry = (text: string) => ({ kind: 'log', v: 1, level: 'log', method: 'log', args: [text], ts: Date.now(), seq: 1, session: 's1', origin: 'browser' });
    const big = await hook.emitWithAck('postLogs', [entry('x'.repeat(1000))], 'console-log');
    expect(big).toEqual({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('limit of 600') } });
    const got = collectMessages(reader, 1);
    expect(await hook.emitWithAck('postLogs', [entry('small')], 'console-log')).toEqual({ ok: true });
    expect((await got)[0]!.data).toMatchObject({ kind: 'log', args: ['small'] });
    hook.close();
    reader.close();
    await s.close();
  });
});

describe('a packet with an ack id and no event name', () => {
  it('gets an error answer instead of leaving the sender waiting', async () => {
    const { RawSocket } = await import('../helpers/raw-socket');
    const { legacyConnectSign } = await import('../../packages/signing');
    const raw = await RawSocket.open(server.url, `source=demo&room_ids=a&userid=f&username=f&sign=${legacyConnectSign('demo', 'a', 'try4dfs%#fs!#$2334ds(%B)')}`);
    raw.send('0');
    expect(await raw.nextReply()).toMatch(/^0\{/);
    raw.send('2329');
    expect(await raw.nextReply()).toBe('3329[{"ok":false,"error":{"code":"INVALID_PARAMETER","message":"a packet needs an event name"}}]');
    raw.close();
  });
});
