import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, connectUrl } from '../helpers/connect-client';
import { RawSocket } from '../helpers/raw-socket';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

const DEMO_KEY = DEMO_SOURCES.demo.signKey;

/** A server clock the tests move by hand, starting on a whole second so windows are predictable. */
function testClock() {
  let t = Date.UTC(2026, 10, 26, 12, 0, 0);
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

interface ConnectErr extends Error {
  data?: { code: string; message: string };
}

async function refusedConnect(url: string, o: Parameters<typeof connectClient>[1] = {}): Promise<ConnectErr> {
  try {
    const s = await connectClient(url, o);
    s.close();
  } catch (err) {
    return err as ConnectErr;
  }
  throw new Error('connected, but should have been refused');
}

describe('message rates', () => {
  const clock = testClock();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(
      {
        rateLimits: { windowSeconds: 1, perConnection: 5, perIp: 0, perSource: 0 },
        sources: {
          demo: { signKey: DEMO_KEY },
          remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'] } },
          capped: { signKey: 'capped-key-0123', maxMessagesPerSecond: 3 },
        },
      },
      { now: clock.now },
    );
  });
  afterAll(() => server.close());

  it('per connection: trips after the allowance and recovers in the next window', async () => {
    const c = await connectClient(server.url, { roomIds: 'rate-room' });
    for (let i = 0; i < 5; i++) expect(await c.emitWithAck('postMsg', `m${i}`, 'rate-room')).toEqual({ ok: true });
    const over = await c.emitWithAck('postMsg', 'too many', 'rate-room');
    expect(over).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'too many messages from this connection: at most 5 per second; retry in 1.0 s' },
    });
    // history and other events count too: the connection is quiet until the window ends.
    expect(await c.emitWithAck('history', { room_id: 'rate-room' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    // Another connection has its own allowance.
    const other = await connectClient(server.url, { roomIds: 'rate-room' });
    expect(await other.emitWithAck('postMsg', 'fine', 'rate-room')).toEqual({ ok: true });
    clock.advance(1000);
    expect(await c.emitWithAck('postMsg', 'again', 'rate-room')).toEqual({ ok: true });
    c.close();
    other.close();
  });

  it('per source (with a per-source override), counting only signed messages', async () => {
    clock.advance(1000);
    const key = 'capped-key-0123';
    const push = (data: string, sign?: string) =>
      postForm(server.url, { source: 'capped', room_id: 'r', data, sign: sign ?? legacyNotifySign('capped', 'r', data, key) });
    // Junk with a wrong sign does not use up the source's allowance.
    for (let i = 0; i < 5; i++) expect((await push('junk', '0'.repeat(32))).body.error).toBe('BAD_SIGN');
    for (let i = 0; i < 3; i++) expect((await push(`ok${i}`)).status).toBe(200);
    const over = await push('over');
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 0, error: 'RATE_LIMITED', msg: expect.stringContaining('from this source: at most 3 per second') });
    // Socket posts of the same source share the allowance.
    const c = await connectClient(server.url, { source: 'capped', roomIds: 'r', signKey: key });
    expect(await c.emitWithAck('postMsg', 'x', 'r')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    clock.advance(1000);
    expect(await c.emitWithAck('postMsg', 'x', 'r')).toEqual({ ok: true });
    expect((await push('after')).status).toBe(200);
    c.close();
  });

  it('answers an unknown event that wants an ack, instead of leaving the client waiting', async () => {
    clock.advance(1000);
    const c = await connectClient(server.url);
    const answer = await (c as unknown as { emitWithAck(ev: string, ...a: unknown[]): Promise<unknown> }).emitWithAck('noSuchEvent', 1);
    expect(answer).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'unknown event "noSuchEvent"' } });
    c.close();
  });
});

describe('per-IP rate on /api/notify', () => {
  const clock = testClock();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ rateLimits: { windowSeconds: 2, perConnection: 0, perIp: 2, perSource: 0 } }, { now: clock.now });
  });
  afterAll(() => server.close());

  it('trips with 429 and Retry-After, whatever the source or sign, and recovers', async () => {
    // 2 per second over a 2 s window: 4 requests.
    for (let i = 0; i < 4; i++) expect((await postForm(server.url, signedNotify('r', `m${i}`))).status).toBe(200);
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signedNotify('r', 'over')).toString(),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ code: 0, error: 'RATE_LIMITED', msg: expect.stringContaining('from this IP address') });
    expect((await postForm(server.url, { source: 'nope' })).status).toBe(429);
    clock.advance(2000);
    expect((await postForm(server.url, signedNotify('r', 'later'))).status).toBe(200);
  });

  it('counts X-Forwarded-For only from a loopback proxy', async () => {
    clock.advance(2000);
    const push = (xff: string) =>
      fetch(`${server.url}/api/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': xff },
        body: new URLSearchParams(signedNotify('r', 'x')).toString(),
      }).then((r) => r.status);
    // The test talks over loopback, so the proxy's forwarded address is the client: separate allowances.
    for (let i = 0; i < 4; i++) expect(await push('198.51.100.1')).toBe(200);
    expect(await push('198.51.100.1')).toBe(429);
    expect(await push('198.51.100.2')).toBe(200);
  });
});

describe('connection caps', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      limits: { maxConnectionsPerIp: 3, maxConnectionsPerUser: 2 },
      rateLimits: { windowSeconds: 1, perConnection: 0, perIp: 0, perSource: 0 },
    });
  });
  afterAll(() => server.close());

  it('per user and per IP, released when a connection closes', async () => {
    const a = await connectClient(server.url, { userid: 'u1' });
    const b = await connectClient(server.url, { userid: 'u1' });
    const err = await refusedConnect(server.url, { userid: 'u1' });
    expect(err.data).toEqual({ code: 'TOO_MANY_CONNECTIONS', message: 'too many open connections for this user (at most 2); close one and retry' });
    const c = await connectClient(server.url, { userid: 'u2' });
    const ipErr = await refusedConnect(server.url, { userid: 'u3' });
    expect(ipErr.data?.message).toBe('too many open connections from this IP address (at most 3); close one and retry');
    // Unsigned hooks count against the IP too.
    const hook = io(`${server.url}?source=remote_debug&room_ids=console-log&role=publisher`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const hookErr = await new Promise<ConnectErr>((resolve) => hook.once('connect_error', resolve));
    expect(hookErr.data?.code).toBe('TOO_MANY_CONNECTIONS');
    hook.close();

    a.close();
    await until(() => server.io.of('/').sockets.size === 2, 5000, 'the server to see the disconnect');
    const d = await connectClient(server.url, { userid: 'u1' });
    for (const s of [b, c, d]) s.close();
    await until(() => server.context.security.connections.open.ips === 0, 5000, 'all connections released');
  });
});

describe('sizes and counts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ limits: { maxBodyBytes: 2048, maxMessageBytes: 512, maxRoomsPerMessage: 3 } });
  });
  afterAll(() => server.close());

  it('answers 413 for a body over limits.maxBodyBytes (form and JSON)', async () => {
    const big = 'x'.repeat(4096);
    const form = await postForm(server.url, signedNotify('r', big));
    expect(form.status).toBe(413);
    expect(form.body).toMatchObject({ code: 0, error: 'PAYLOAD_TOO_LARGE' });
    const json = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedNotify('r', big)),
    });
    expect(json.status).toBe(413);
  });

  it('refuses data over limits.maxMessageBytes on notify and postMsg', async () => {
    const data = 'y'.repeat(600);
    expect((await postForm(server.url, signedNotify('r', data))).body).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    const c = await connectClient(server.url);
    expect(await c.emitWithAck('postMsg', { data }, 'r')).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await c.emitWithAck('postMsg', 'x', 'a,b,c,d')).toMatchObject({ ok: false, error: { code: 'TOO_MANY_ROOMS' } });
    c.close();
    // Nested deeper than JSON.stringify can walk (socket.io-client cannot even encode it, so
    // the frame is written by hand): a clear error, and the connection keeps working.
    const raw = await RawSocket.open(server.url, connectUrl('', { roomIds: 'r' }).slice(1));
    raw.send('0');
    expect(await raw.nextReply()).toMatch(/^0\{"sid"/);
    const depth = 100_000;
    raw.send(`21["postMsg",${'['.repeat(depth)}1${']'.repeat(depth)},"r"]`);
    const answer = await raw.nextReply();
    expect(answer?.startsWith('31[')).toBe(true);
    expect(JSON.parse(answer!.slice(2))).toEqual([
      { ok: false, error: { code: 'INVALID_PARAMETER', message: 'data cannot be encoded as JSON (nested too deeply?)' } },
    ]);
    raw.send('22["postMsg","still fine","r"]');
    expect(JSON.parse((await raw.nextReply())!.slice(2))).toEqual([{ ok: true }]);
    raw.close();
    expect((await postForm(server.url, signedNotify('a,b,c,d', 'x'))).body).toMatchObject({ error: 'TOO_MANY_ROOMS' });
  });
});

describe('filename path escapes', () => {
  const ADMIN = 'admin-key-for-filename-tests';
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ adminKey: ADMIN });
  });
  afterAll(() => server.close());

  /** Raw form bodies, so percent-encodings reach the parser exactly as an attacker sends them. */
  const rawFilenames = [
    '..',
    '../x.log',
    '..%2Fx.log',
    '%2e%2e%2fx.log',
    '%2E%2E/x.log',
    '%252e%252e%252fx.log',
    'a%2Fb.log',
    'a%5Cb.log',
    '..%5Cx.log',
    '%2Fetc%2Fpasswd',
    '%2Ftmp%2Fx.log',
    'C%3A%5Cwin.log',
    'a%00b.log',
    'x.log%00.txt',
    '%00',
    '.hidden',
    '.',
    'x..log',
    'a%20b.log',
    '%EF%BC%8E%EF%BC%8E%EF%BC%8Fx',
    '%C0%AE%C0%AE%2Fx',
    'x'.repeat(101),
  ];

  it.each(rawFilenames)('notify refuses filename=%s, delivers nothing and writes nothing', async (raw) => {
    const data = 'payload';
    const fields = signedNotify('fn-room', data);
    const body = `${new URLSearchParams(fields).toString()}&filename=${raw}`;
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 0, error: 'INVALID_FILENAME' });
  });

  it('JSON bodies with path-like names are refused too', async () => {
    for (const filename of ['../../x', '/abs/x', 'a\\b', 'a\u0000b', 'ok.log/..', ['a', 'b'], { $ne: 1 }]) {
      const res = await fetch(`${server.url}/api/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...signedNotify('fn-room', 'x'), filename }),
      });
      expect(res.status, JSON.stringify(filename)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/INVALID_FILENAME|INVALID_PARAMETER/);
    }
  });

  it('the log read-back refuses the same names, even for the admin', async () => {
    for (const raw of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..', 'a%00b', '%2e%2e']) {
      const res = await fetch(`${server.url}/api/logs?source=demo&date=2026-11-26&filename=${raw}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(res.status, raw).toBe(400);
    }
    const date = await fetch(`${server.url}/api/logs?source=demo&date=..%2F..&filename=x.log`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(date.status).toBe(400);
  });

  it('nothing was written anywhere: the log folder is empty and nothing appeared beside it', () => {
    const files = existsSync(server.logDir) ? readdirSync(server.logDir, { recursive: true }) : [];
    expect(files).toEqual([]);
    const parent = readdirSync(path.dirname(server.logDir));
    expect(parent.filter((f) => /^(x|win|b)\.log|passwd/.test(f))).toEqual([]);
  });
});

describe('security headers and CORS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('pages get helmet headers with a CSP', async () => {
    const res = await fetch(`${server.url}/some-page`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("object-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('/js scripts stay loadable from other origins (CORP cross-origin)', async () => {
    const res = await fetch(`${server.url}/js/node_im.min.js`);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the cross-origin API keeps working: preflight and a cross-origin form post', async () => {
    const pre = await fetch(`${server.url}/api/notify`, {
      method: 'OPTIONS',
      headers: { origin: 'http://jquery-demo.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://jquery-demo.example');
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { origin: 'http://jquery-demo.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signedNotify('cors-room', 'x')).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://jquery-demo.example');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('can be turned off or given another CSP', async () => {
    const custom = await startServer({ securityHeaders: { enabled: true, hstsMaxAge: 600, contentSecurityPolicy: { 'default-src': ["'none'"] } } });
    const off = await startServer({ securityHeaders: { enabled: false, hstsMaxAge: 0 } });
    try {
      const a = await fetch(`${custom.url}/page`);
      expect(a.headers.get('content-security-policy')).toBe("default-src 'none'");
      expect(a.headers.get('strict-transport-security')).toBe('max-age=600');
      const b = await fetch(`${off.url}/page`);
      expect(b.headers.get('content-security-policy')).toBeNull();
    } finally {
      await Promise.all([custom.close(), off.close()]);
    }
  });
});

describe('cluster-wide rates (Redis)', () => {
  it('a source allowance is shared by all instances', async () => {
    if (!(await requireRedis())) return;
    const clock = testClock();
    const prefix = `im-test-rl-${process.pid}-${Date.now()}`;
    const config = {
      adapter: { type: 'redis' as const, url: REDIS_URL, prefix },
      rateLimits: { windowSeconds: 1, perConnection: 0, perIp: 0, perSource: 4 },
    };
    const a = await startServer(config, { now: clock.now });
    // Both on the Redis adapter: their per-source counts meet in the one Redis.
    const b = await startServer(config, { now: clock.now });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await postForm(a.url, signedNotify('r', `a${i}`))).status);
      for (let i = 0; i < 3; i++) statuses.push((await postForm(b.url, signedNotify('r', `b${i}`))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      clock.advance(1000);
      expect((await postForm(b.url, signedNotify('r', 'later'))).status).toBe(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
