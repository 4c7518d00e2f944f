import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyConnectSign } from '../../packages/signing';
import { connectClient, openClient, type TestSocket } from '../helpers/connect-client';
import { startServer, type TestServer } from '../helpers/start-server';
import { once } from '../helpers/wait-for';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

interface ConnectErr extends Error {
  data?: { code: string; message: string };
}

/** Connects with a raw query string and returns the connect_error. */
async function rejected(query: string): Promise<ConnectErr> {
  const { io } = await import('socket.io-client');
  const socket = io(`${server.url}?${query}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    return await once<ConnectErr>(socket, 'connect_error');
  } finally {
    socket.close();
  }
}

const demoSign = (rooms: string) => legacyConnectSign('demo', rooms, 'try4dfs%#fs!#$2334ds(%B)');

describe('handshake', () => {
  it('connects with the seed display page URL verbatim', async () => {
    const { io } = await import('socket.io-client');
    const url = `${server.url}?userid=0000&username=demo&source=remote_debug&room_ids=console-log&sign=5b092ffd2f7bcd3eddc9a7655600a998&ext_info=`;
    const socket = io(url, { reconnection: false, forceNew: true });
    await once(socket, 'connect');
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it.each([
    ['source missing', `userid=1&username=u&room_ids=r1&sign=x`, 'SOURCE_REQUIRED', 'source can not be null!'],
    ['sign missing', `userid=1&username=u&source=demo&room_ids=r1`, 'SIGN_REQUIRED', 'cilent connect sign can not be null!'],
    ['room_ids missing', `userid=1&username=u&source=demo&sign=x`, 'ROOMS_REQUIRED', 'room_ids can not be null!'],
    ['unknown source', `userid=1&username=u&source=nope&room_ids=r1&sign=x`, 'UNKNOWN_SOURCE', 'this source can not be configured!'],
    ['bad sign', `userid=1&username=u&source=demo&room_ids=r1&sign=0123456789abcdef0123456789abcdef`, 'BAD_SIGN', 'sign verify failed!'],
  ])('rejects %s with the original message and a code', async (_name, query, code, message) => {
    const err = await rejected(query);
    expect(err.message).toBe(message);
    expect(err.data).toEqual({ code, message });
  });

  it('checks in the original order: a missing sign wins over an unknown source', async () => {
    const err = await rejected('userid=1&username=u&source=nope&room_ids=r1');
    expect(err.message).toBe('cilent connect sign can not be null!');
  });

  it('rejects a sign made for other rooms', async () => {
    const err = await rejected(`userid=1&username=u&source=demo&room_ids=r2&sign=${demoSign('r1')}`);
    expect(err.data?.code).toBe('BAD_SIGN');
  });

  it('requires userid and username', async () => {
    const rooms = 'r1';
    expect((await rejected(`username=u&source=demo&room_ids=${rooms}&sign=${demoSign(rooms)}`)).data?.code).toBe('USERID_REQUIRED');
    expect((await rejected(`userid=1&source=demo&room_ids=${rooms}&sign=${demoSign(rooms)}`)).data?.code).toBe('USERNAME_REQUIRED');
  });

  it('validates room ids with clear errors', async () => {
    const bad = 'r1,bad room';
    const err = await rejected(`userid=1&username=u&source=demo&room_ids=${encodeURIComponent(bad)}&sign=${demoSign(bad)}`);
    expect(err.data?.code).toBe('INVALID_ROOM');
    expect(err.message).toContain('"bad room"');
    const many = Array.from({ length: 51 }, (_, i) => `r${i}`).join(',');
    const tooMany = await rejected(`userid=1&username=u&source=demo&room_ids=${many}&sign=${demoSign(many)}`);
    expect(tooMany.data?.code).toBe('TOO_MANY_ROOMS');
  });

  it('does not leave a rejected socket hanging: the server holds no connection for it', async () => {
    await rejected('source=demo');
    expect(server.io.of('/').sockets.size).toBe(0);
  });

  it('lets unsigned hooks publish but never read', async () => {
    const reader = await connectClient(server.url, { source: 'remote_debug', roomIds: 'console-log' });
    const { io } = await import('socket.io-client');
    const hook: TestSocket = io(`${server.url}?source=remote_debug&room_ids=console-log&role=publisher`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await once(hook, 'connect');
    const ack = await hook.emitWithAck('history', { room_id: 'console-log' });
    expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const post = await hook.emitWithAck('postMsg', 'hi', 'console-log');
    expect(post).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    hook.close();
    reader.close();
    const err = await rejected('source=remote_debug&room_ids=other-room&role=publisher');
    expect(err.data?.code).toBe('FORBIDDEN');
    const demoHook = await rejected('source=demo&room_ids=r1&role=publisher');
    expect(demoHook.message).toContain('does not accept unsigned publishers');
  });

  it('works over HTTP long-polling as well as websocket', async () => {
    const socket = openClient(server.url, { options: { transports: ['polling'] } });
    await once(socket, 'connect');
    expect(socket.io.engine.transport.name).toBe('polling');
    socket.close();
  });
});
