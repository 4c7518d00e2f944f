import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyConnectSign, signRequest, strongConnectSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { collectMessages, once } from '../helpers/wait-for';
import { connectClient, whenConnected, type TestSocket } from '../helpers/connect-client';
import { postForm } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';

const DEMO_KEY = DEMO_SOURCES.demo.signKey;
const STRICT_KEY = 'strict-source-key-0123';

interface ConnectErr extends Error {
  data?: { code: string; message: string };
}

/** A controllable server clock (ms). */
let clock = Date.parse('2026-11-26T12:00:00Z');
const seconds = () => Math.floor(clock / 1000);

let server: TestServer;
beforeAll(async () => {
  server = await startServer(
    {
      sources: {
        demo: { signKey: DEMO_KEY },
        remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'] } },
        strict: { signKey: STRICT_KEY, signing: 'strong' },
        oldonly: { signKey: 'old-only-key-0123', signing: 'legacy' },
        mixed: { signKey: 'mixed-key-01234', signing: { connect: 'legacy', notify: 'strong' } },
      },
    },
    { now: () => clock },
  );
});
afterAll(() => server.close());

type SignedBy = { source?: string; key?: string; ts?: number; nonce?: string };

/** What every strong sign here shares, with the tests' defaults: source demo, the demo key, now. */
const signedBy = (o: SignedBy) => ({ source: o.source ?? 'demo', signKey: o.key ?? DEMO_KEY, ts: o.ts ?? seconds(), nonce: o.nonce });

function strongQuery(o: SignedBy & { rooms?: string; userid?: string } = {}): Record<string, string> {
  const fields = signRequest({ kind: 'connect', roomIds: o.rooms ?? 'room1', userid: o.userid ?? '1305', ...signedBy(o) });
  return { ...fields, username: 'spring', ext_info: '' };
}

function open(query: Record<string, string>, auth?: Record<string, unknown>): TestSocket {
  return io(`${server.url}?${new URLSearchParams(query).toString()}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth,
  });
}

function connects(query: Record<string, string>, auth?: Record<string, unknown>): Promise<TestSocket> {
  return whenConnected(open(query, auth));
}

async function refused(query: Record<string, string>, auth?: Record<string, unknown>): Promise<ConnectErr> {
  const socket = open(query, auth);
  try {
    return await Promise.race([
      once<ConnectErr>(socket, 'connect_error'),
      once(socket, 'connect').then(() => {
        throw new Error('connected, but should have been refused');
      }),
    ]);
  } finally {
    socket.close();
  }
}

describe('strong connect signs', () => {
  it('connect with a strong sign and receive messages', async () => {
    const socket = await connects(strongQuery({ rooms: 'strong-room' }));
    const got = collectMessages(socket, 1);
    await server.relay.publish('demo', ['strong-room'], 'hi');
    expect((await got)[0]).toMatchObject({ source: 'demo', room_id: 'strong-room', data: 'hi' });
    socket.close();
  });

  it('refuses the same signed URL a second time (replay), even after the first one left', async () => {
    const query = strongQuery();
    const first = await connects(query);
    first.close();
    const err = await refused(query);
    expect(err.data?.code).toBe('REPLAYED_SIGN');
  });

  it('refuses a stale or future timestamp outside the window, and accepts one at its edge', async () => {
    const window = server.context.config.signatureWindowSeconds;
    expect((await refused(strongQuery({ ts: seconds() - window - 1 }))).data?.code).toBe('STALE_TIMESTAMP');
    expect((await refused(strongQuery({ ts: seconds() + window + 1 }))).data?.code).toBe('STALE_TIMESTAMP');
    (await connects(strongQuery({ ts: seconds() - window }))).close();
  });

  it('binds the userid: a sign made for one user does not let another connect', async () => {
    const query = { ...strongQuery({ userid: '1305' }), userid: '1306' };
    const err = await refused(query);
    expect(err.data).toEqual({ code: 'BAD_SIGN', message: 'sign verify failed!' });
  });

  it('binds the rooms and the source', async () => {
    expect((await refused({ ...strongQuery({ rooms: 'r1' }), room_ids: 'r1,admin' })).data?.code).toBe('BAD_SIGN');
    const other = strongQuery({ source: 'demo', key: DEMO_KEY });
    expect((await refused({ ...other, source: 'remote_debug' })).data?.code).toBe('BAD_SIGN');
  });

  it('explains a missing ts or nonce, an unknown sign_type and line breaks in signed fields', async () => {
    const base = strongQuery();
    const noTs: Record<string, string> = { ...base };
    delete noTs.ts;
    expect((await refused(noTs)).data?.code).toBe('INVALID_PARAMETER');
    expect((await refused({ ...base, nonce: 'short' })).data).toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringContaining('nonce') });
    expect((await refused({ ...base, sign_type: 'sha1' })).data?.message).toContain('sign_type must be');
    expect((await refused({ ...strongQuery(), userid: 'a\nb' })).data?.code).toBe('INVALID_PARAMETER');
  });

  it('takes the sign fields from `auth`, so a client can sign every (re)connect afresh', async () => {
    const signed = strongQuery({ rooms: 'auth-room' });
    const { sign, ts, nonce, sign_type, ...rest } = signed;
    const socket = await connects({ ...rest, sign: 'placeholder' }, { sign, ts, nonce, sign_type });
    socket.close();
    // The same auth fields again: a replay.
    expect((await refused({ ...rest, sign: 'placeholder' }, { sign, ts, nonce, sign_type })).data?.code).toBe('REPLAYED_SIGN');
    // Weird types in auth are refused cleanly.
    expect((await refused({ ...rest }, { sign: ['a', 'b'] })).data?.code).toBe('INVALID_PARAMETER');
  });

  it('keeps legacy signs working by default, byte for byte', async () => {
    const legacy = await connectClient(server.url, { roomIds: 'legacy-room' });
    legacy.close();
    const err = await refused({ userid: '1', username: 'u', source: 'demo', room_ids: 'r1', sign: '0'.repeat(32) });
    expect(err.message).toBe('sign verify failed!');
    expect(err.data).toEqual({ code: 'BAD_SIGN', message: 'sign verify failed!' });
  });

  it('a source with signing "strong" refuses legacy signs; one with "legacy" refuses strong ones', async () => {
    const legacy = { userid: '1', username: 'u', source: 'strict', room_ids: 'r1', sign: legacyConnectSign('strict', 'r1', STRICT_KEY) };
    const err = await refused(legacy);
    expect(err.data?.code).toBe('BAD_SIGN');
    expect(err.message).toContain('requires strong signs');
    (await connects(strongQuery({ source: 'strict', key: STRICT_KEY }))).close();
    const strongForOld = await refused(strongQuery({ source: 'oldonly', key: 'old-only-key-0123' }));
    expect(strongForOld.message).toContain('accepts only legacy');
    (await connects({ userid: '1', username: 'u', source: 'mixed', room_ids: 'r1', sign: legacyConnectSign('mixed', 'r1', 'mixed-key-01234') })).close();
  });

  it('a strong sign never passes as a different kind: the connect HMAC is not a notify sign', async () => {
    const ts = String(seconds());
    const nonce = 'cross-kind-01';
    const sign = strongConnectSign(DEMO_KEY, { source: 'demo', roomIds: 'r1', userid: '', ts, nonce });
    const res = await postForm(server.url, { source: 'demo', room_id: 'r1', data: '', sign, sign_type: 'hmac-sha256', ts, nonce });
    expect(res.body.error).toBe('DATA_REQUIRED');
    const res2 = await postForm(server.url, { source: 'demo', room_id: 'r1', data: 'x', sign, sign_type: 'hmac-sha256', ts, nonce });
    expect(res2.body).toMatchObject({ code: 0, error: 'BAD_SIGN', msg: 'api notify sign verify failed!' });
  });
});

describe('strong notify signs', () => {
  const notify = (o: SignedBy & { room?: string; data?: string } = {}) =>
    signRequest({ kind: 'notify', roomId: o.room ?? 'n-room', data: o.data ?? '{"a":1}', ...signedBy(o) });

  it('delivers a strongly signed push, with the contract answer', async () => {
    const reader = await connectClient(server.url, { roomIds: 'n-room' });
    const got = collectMessages(reader, 1);
    const res = await postForm(server.url, notify());
    expect(res).toEqual({ status: 200, body: { code: 1, msg: 'message notify successed!', data: '' } });
    expect((await got)[0]).toMatchObject({ data: '{"a":1}', room_id: 'n-room' });
    reader.close();
  });

  it('refuses a replayed push with 401 REPLAYED_SIGN and delivers it once', async () => {
    const body = notify({ data: 'once' });
    expect((await postForm(server.url, body)).status).toBe(200);
    const again = await postForm(server.url, body);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ code: 0, error: 'REPLAYED_SIGN' });
  });

  it('accepts JSON bodies with a numeric ts', async () => {
    const body = notify({ data: 'json-body' });
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, ts: Number(body.ts) }),
    });
    expect(res.status).toBe(200);
  });

  it('refuses stale timestamps (the server clock decides) and tampered data', async () => {
    const stale = notify({ ts: seconds() - 301 });
    expect((await postForm(server.url, stale)).body).toMatchObject({ error: 'STALE_TIMESTAMP' });
    const tampered = { ...notify({ data: 'pay 1' }), data: 'pay 1000' };
    expect((await postForm(server.url, tampered)).body).toMatchObject({ error: 'BAD_SIGN', msg: 'api notify sign verify failed!' });
    // Time moves on: a sign made now goes stale 5 minutes later.
    const body = notify({ data: 'later' });
    clock += 301_000;
    try {
      expect((await postForm(server.url, body)).body.error).toBe('STALE_TIMESTAMP');
    } finally {
      clock -= 301_000;
    }
  });

  it('per kind modes: "mixed" takes legacy connects but only strong pushes', async () => {
    const legacy = signRequest({ kind: 'notify', source: 'mixed', roomId: 'r', data: 'd', signKey: 'mixed-key-01234', scheme: 'legacy' });
    expect((await postForm(server.url, legacy)).body).toMatchObject({ error: 'BAD_SIGN' });
    expect((await postForm(server.url, notify({ source: 'mixed', key: 'mixed-key-01234' }))).status).toBe(200);
  });
});

describe('replays across a cluster (nonces in Redis)', () => {
  it('a nonce used on one instance is refused on another', async () => {
    if (!(await requireRedis())) return;
    const prefix = `im-test-${process.pid}-${Date.now()}`;
    const config = { adapter: { type: 'redis' as const, url: REDIS_URL, prefix } };
    const a = await startServer(config, { now: () => clock });
    const b = await startServer(config, { now: () => clock });
    // Both on the Redis adapter: their nonces meet in the one Redis (read here to check the key).
    const redisA = new Redis(REDIS_URL);
    try {
      const body = signRequest({ kind: 'notify', source: 'demo', roomId: 'r', data: 'x', signKey: DEMO_KEY, ts: seconds() });
      expect((await postForm(a.url, body)).status).toBe(200);
      expect((await postForm(b.url, body)).body.error).toBe('REPLAYED_SIGN');
      const keys = await redisA.keys(`${prefix}:nonce:*`);
      expect(keys).toEqual([`${prefix}:nonce:demo:${body.nonce}`]);
      const ttl = await redisA.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual((2 * 300 + 1) * 1000);
    } finally {
      await Promise.all([a.close(), b.close()]);
      redisA.disconnect();
    }
  });
});
