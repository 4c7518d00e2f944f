import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ClientError, type ClientOptions, type ConnectInfo, type ImClient } from '../../packages/client';
import { connectSigned, notify, signedConnectUrl, type ConnectParams } from '../../packages/client/node';
import type { Message } from '../../packages/protocol';
import { DEMO_SOURCES } from '../../server/config';
import { startServer, type TestServer } from '../helpers/start-server';
import { once } from '../helpers/wait-for';

/** The SDK's Node entry against a source that accepts only strong signs. */
const STRICT_KEY = 'strict-client-key-0123';

let server: TestServer;
const clients: ImClient[] = [];

beforeAll(async () => {
  // Connection state recovery is off: every reconnect is a new session through the handshake
  // checks, so a reused sign is refused there.
  server = await startServer({
    sources: {
      demo: { signKey: DEMO_SOURCES.demo.signKey },
      remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'] } },
      strict: { signKey: STRICT_KEY, signing: 'strong' },
    },
  });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server?.close());

/** Client callbacks as events, so a test waits on them (never on time). */
function watch(options: ClientOptions = {}) {
  const events = new EventEmitter();
  const opts: ClientOptions = {
    reconnectionDelay: 20,
    reconnectionDelayMax: 50,
    ...options,
    socketOptions: { transports: ['websocket'], ...options.socketOptions },
    onConnect: (_s, info) => events.emit('connect', info),
    onMessage: (m) => events.emit('message', m),
    onError: (e) => events.emit('error-report', e),
  };
  return { events, opts };
}

const params = (rooms: string, userid: string, scheme: ConnectParams['scheme']): ConnectParams => ({
  url: server.url,
  source: 'strict',
  signKey: STRICT_KEY,
  rooms,
  userid,
  username: `user ${userid}`,
  scheme,
});

/** The server's sockets of one user (this process's server: the local instances). */
const socketsOf = (userid: string) => [...server.io.of('/').sockets.values()].filter((s) => s.data.userid === userid);

/** Drops the transport under the user's sockets: the client sees "transport close" and reconnects by itself. */
function dropTransport(userid: string): void {
  const sockets = socketsOf(userid);
  expect(sockets.length).toBe(1);
  for (const s of sockets) s.conn.close();
}

const push = (room: string, data: string) => notify(server.url, { source: 'strict', signKey: STRICT_KEY, rooms: room, data, scheme: 'strong' });

describe('connectSigned with scheme "strong"', () => {
  it('connects, and signs every reconnect afresh, so reconnects are not replays', async () => {
    const { events, opts } = watch({ socketOptions: { auth: { app: 'kiosk-7' } } });
    const client = connectSigned(params('live', 'u1', 'strong'), opts);
    clients.push(client);
    const errors: ClientError[] = [];
    events.on('error-report', (e: ClientError) => errors.push(e));

    expect(await once<ConnectInfo>(events, 'connect')).toMatchObject({ reconnect: false });
    const [first] = socketsOf('u1');
    expect(first!.data.signedWith).toBe('strong');
    // The sign travels in auth (not the URL); an auth of the caller's own is kept beside it.
    expect(first!.handshake.query.sign).toBeUndefined();
    expect(first!.handshake.auth).toMatchObject({ app: 'kiosk-7', sign_type: 'hmac-sha256' });
    const nonces = [first!.handshake.auth.nonce as string];

    let got = once<Message>(events, 'message');
    expect((await push('live', 'before')).body.code).toBe(1);
    expect(await got).toMatchObject({ source: 'strict', room_id: 'live', data: 'before' });

    for (let round = 1; round <= 2; round++) {
      const again = once<ConnectInfo>(events, 'connect');
      dropTransport('u1');
      expect(await again).toMatchObject({ reconnect: true });
      const [now] = socketsOf('u1');
      // A new session, checked again: a fresh sign each time.
      expect(now!.recovered).toBe(false);
      expect(now!.data.signedWith).toBe('strong');
      nonces.push(now!.handshake.auth.nonce as string);
    }
    expect(new Set(nonces).size).toBe(3);

    got = once<Message>(events, 'message');
    expect((await push('live', 'after')).body.code).toBe(1);
    expect(await got).toMatchObject({ data: 'after' });
    expect(errors).toEqual([]);
    expect(client.state).toBe('connected');
  });

  it('a function auth of the caller is called per attempt too, its fields kept', async () => {
    let calls = 0;
    const { events, opts } = watch({ socketOptions: { auth: (cb) => cb({ attempt: ++calls }) } });
    clients.push(connectSigned(params('fn-auth', 'u2', 'strong'), opts));
    await once(events, 'connect');
    const again = once<ConnectInfo>(events, 'connect');
    dropTransport('u2');
    await again;
    expect(socketsOf('u2')[0]!.handshake.auth).toMatchObject({ attempt: 2, sign_type: 'hmac-sha256' });
  });

  it('by contrast, a one-shot strong URL is refused as a replay when the client reconnects with it', async () => {
    const { events, opts } = watch();
    const client = createClient(signedConnectUrl(params('one-shot', 'u3', 'strong')), opts);
    clients.push(client);
    await once(events, 'connect');
    const refused = once<ClientError>(events, 'error-report');
    dropTransport('u3');
    expect(await refused).toMatchObject({ kind: 'handshake', code: 'REPLAYED_SIGN' });
    expect(client.state).toBe('closed');
  });

  it('the legacy scheme is refused by a strong-only source with a clear reason', async () => {
    const { events, opts } = watch();
    const client = connectSigned(params('r', 'u4', 'legacy'), opts);
    clients.push(client);
    const err = await once<ClientError>(events, 'error-report');
    expect(err).toMatchObject({ kind: 'handshake', code: 'BAD_SIGN' });
    expect(err.message).toContain('source strict requires strong signs');
  });
});

describe('notify with scheme "strong"', () => {
  it('is accepted by a strong-only source, where the legacy sign is refused', async () => {
    expect((await push('r', 'x')).body).toMatchObject({ code: 1 });
    const legacy = await notify(server.url, { source: 'strict', signKey: STRICT_KEY, rooms: 'r', data: 'x' });
    expect(legacy.status).toBe(401);
    expect(legacy.body).toMatchObject({ code: 0, error: 'BAD_SIGN' });
    expect(legacy.body.msg).toContain('requires strong signs');
  });
});
