import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once } from '../helpers/wait-for';

let server: TestServer;
const sockets: TestSocket[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await server.close();
});

async function client(roomIds: string, userid: string, extra: Record<string, string> = {}): Promise<TestSocket> {
  const c = await connectClient(server.url, { roomIds, userid, username: userid, extra });
  sockets.push(c);
  return c;
}

async function deliveries(): Promise<number> {
  const metric = await server.metrics.deliveries.get();
  return metric.values[0]?.value ?? 0;
}

/** The server side of a client's connection. */
function serverSocket(c: TestSocket) {
  const s = server.io.of('/').sockets.get(c.id!);
  if (!s) throw new Error(`no server socket ${c.id}`);
  return s;
}

describe('per-connection state', () => {
  it('im_deliveries_total counts one per newMsg each socket receives: several sockets per room, sockets in several rooms, several rooms per message', async () => {
    const start = await deliveries();
    // d1: a, b; d2: a, c; elsewhere: d (receives nothing).
    const a = await client('d1,d2', 'a');
    const b = await client('d1', 'b');
    const c = await client('d2', 'c');
    await client('elsewhere', 'd');
    const gotA = collectMessages(a, 3);
    const gotB = collectMessages(b, 2);
    const gotC = collectMessages(c, 1);
    // One message to two rooms: a receives it once per room, b and c once each.
    expect(await a.emitWithAck('postMsg', 'both', 'd1,d2')).toEqual({ ok: true });
    // A push to one room: a and b.
    expect((await postForm(server.url, signedNotify('d1', 'one'))).body.code).toBe(1);
    expect((await gotA).map((m) => `${m.data}@${m.room_id}`).sort()).toEqual(['both@d1', 'both@d2', 'one@d1']);
    expect((await gotB).map((m) => m.data)).toEqual(['both', 'one']);
    expect((await gotC).map((m) => m.data)).toEqual(['both']);
    expect((await deliveries()) - start).toBe(6);
    // Other packets (acks, errors) are not deliveries.
    expect(await b.emitWithAck('postMsg', '', 'd1')).toMatchObject({ ok: false, error: { code: 'DATA_REQUIRED' } });
    expect((await deliveries()) - start).toBe(6);
  });

  it('an idle socket holds no event listeners but its disconnect; each is added on first use and then answers as before', async () => {
    const c = await client('idle-room', 'idle');
    const s = serverSocket(c);
    // Socket.IO's own no-op "error" listener, and presence's disconnect.
    expect(s.eventNames().sort()).toEqual(['disconnect', 'error']);
    const history = await c.emitWithAck('history', { room_id: 'idle-room' });
    expect(history).toMatchObject({ ok: true, result: { room_id: 'idle-room', messages: [] } });
    expect(await c.emitWithAck('clientInfo', { nope: true } as never)).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER' } });
    expect(s.eventNames().sort()).toEqual(['clientInfo', 'disconnect', 'error', 'history']);
    // Added once, not once per event.
    await c.emitWithAck('history', { room_id: 'idle-room' });
    expect(s.listeners('history')).toHaveLength(1);
    // Unknown events are still refused.
    const emit = c.emitWithAck.bind(c) as (ev: string, ...args: unknown[]) => Promise<unknown>;
    expect(await emit('noSuchEvent', 1)).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'unknown event "noSuchEvent"' } });
  });

  it('a watch_quit socket also listens for its own disconnect, to announce it', async () => {
    const stays = await client('quit-room', 'stays');
    const leaver = await client('quit-room', 'leaver', { watch_quit: '1' });
    // One more than a socket without watch_quit holds (presence and the connection caps have theirs).
    expect(serverSocket(leaver).listeners('disconnect')).toHaveLength(serverSocket(stays).listeners('disconnect').length + 1);
    const quit = once<{ data: { key: string } }>(stays, 'newMsg');
    leaver.close();
    expect((await quit).data).toMatchObject({ key: 'user_quit' });
  });
});
