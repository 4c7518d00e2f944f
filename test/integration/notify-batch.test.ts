import { connect } from 'node:net';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyBatch } from '../../packages/client/node';
import { legacyNotifySign, signRequest, strongBatchSign } from '../../packages/signing';
import { createMemoryHistoryStore } from '../../server/relay/history-store';
import { DEMO_SOURCES } from '../../server/config';
import { dropPrefix, redisAdapter, uniquePrefix } from '../helpers/cluster';
import { connectClient } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { hasRedisServerBinary, IN_CI } from '../helpers/requirements';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once, until } from '../helpers/wait-for';

const KEY = DEMO_SOURCES.demo.signKey;

interface BatchBody {
  code: number;
  msg: string;
  error?: string;
  accepted?: number;
  refused?: number;
  results?: Array<{ code: number; msg: string; error?: string }>;
}

async function postBatch(base: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: BatchBody; headers: Headers }> {
  const res = await fetch(`${base}/api/notify/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as BatchBody, headers: res.headers };
}

/** A batch signed as a whole with the strong sign. */
function wholeBatch(messages: Array<{ room_id: string; data: string }>, nonce = `n${Math.random().toString(36).slice(2, 14)}`, ts = Math.floor(Date.now() / 1000)) {
  const sign = strongBatchSign(KEY, { source: 'demo', messages: messages.map((m) => ({ roomId: m.room_id, data: m.data })), ts, nonce });
  return { source: 'demo', sign_type: 'hmac-sha256', ts, nonce, sign, messages };
}

describe('POST /api/notify/batch', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ limits: { maxBatchMessages: 5, maxBatchBodyBytes: 4096 } });
  });
  afterAll(() => server.close());

  it('answers a mixed batch per message, in order, and delivers the good ones', async () => {
    const sub = await connectClient(server.url, { roomIds: 'b1,b2' });
    const got = collectMessages(sub, 4);
    const res = await postBatch(server.url, {
      messages: [
        signedNotify('b1', 'one'),
        { ...signedNotify('b1', 'forged'), sign: legacyNotifySign('demo', 'b1', 'other', KEY) },
        signedNotify('b1,b2', 'two'),
        { source: 'demo', room_id: 'b1', sign: 'x' },
        signedNotify('b2', 'three', 'demo', { sign_type: 'md5' }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 1, accepted: 3, refused: 2 });
    expect(res.body.results).toEqual([
      { code: 1, msg: 'message notify successed!' },
      { code: 0, msg: 'api notify sign verify failed!', error: 'BAD_SIGN' },
      { code: 1, msg: 'message notify successed!' },
      { code: 0, msg: 'data can not be null!', error: 'DATA_REQUIRED' },
      { code: 1, msg: 'message notify successed!' },
    ]);
    const messages = await got;
    // "two" went to both rooms: the client (in both) hears it once per room, in order.
    expect(messages.map((m) => `${m.room_id}:${m.data}`)).toEqual(['b1:one', 'b1:two', 'b2:two', 'b2:three']);
    // Nothing of the refused ones reached history either.
    const history = (await sub.timeout(5000).emitWithAck('history', { room_id: 'b1' })) as { ok: boolean; result: { messages: Array<{ data: unknown }> } };
    expect(history.result.messages.map((m) => m.data)).toEqual(['one', 'two']);
    sub.close();
  });

  it('refuses batches over limits.maxBatchMessages or maxBatchBodyBytes, empty ones and bodies that are not a batch', async () => {
    const six = Array.from({ length: 6 }, (_, i) => signedNotify('b1', `m${i}`));
    const over = await postBatch(server.url, { messages: six });
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ code: 0, error: 'PAYLOAD_TOO_LARGE', msg: expect.stringContaining('at most 5 messages') });
    const big = await postBatch(server.url, { messages: [signedNotify('b1', 'x'.repeat(5000))] });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 0, error: 'PAYLOAD_TOO_LARGE' });
    for (const body of [{ messages: [] }, { messages: 'no' }, {}, [1, 2]]) {
      const res = await postBatch(server.url, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 0, error: 'INVALID_PARAMETER', msg: expect.stringContaining('messages must be') });
    }
    const broken = await postBatch(server.url, '{"messages": [');
    expect(broken).toMatchObject({ status: 400, body: { error: 'INVALID_PARAMETER', msg: 'request body is not valid JSON' } });
    // The limit counts messages, not rooms: 5 messages are fine.
    expect((await postBatch(server.url, { messages: six.slice(0, 5) })).body).toMatchObject({ accepted: 5 });
  });

  it('refuses a nonce used twice in one batch the second time, and a replayed one later', async () => {
    const strong = (room: string, data: string, nonce: string) => signRequest({ kind: 'notify', source: 'demo', roomId: room, data, signKey: KEY, nonce });
    const res = await postBatch(server.url, { messages: [strong('b1', 'a', 'dup-nonce-0001'), strong('b1', 'b', 'dup-nonce-0001'), strong('b1', 'c', 'dup-nonce-0002')] });
    expect(res.body.results!.map((r) => r.error ?? 'ok')).toEqual(['ok', 'REPLAYED_SIGN', 'ok']);
    const again = await postBatch(server.url, { messages: [strong('b1', 'c', 'dup-nonce-0002')] });
    expect(again.body.results![0]).toMatchObject({ code: 0, error: 'REPLAYED_SIGN' });
  });

  it('takes one strong sign over the whole batch, once', async () => {
    const sub = await connectClient(server.url, { roomIds: 'w1' });
    const got = collectMessages(sub, 2);
    const batch = wholeBatch([
      { room_id: 'w1', data: 'first' },
      { room_id: 'w1', data: 'second' },
    ]);
    const res = await postBatch(server.url, batch);
    expect(res.body).toMatchObject({ code: 1, accepted: 2, refused: 0 });
    expect((await got).map((m) => m.data)).toEqual(['first', 'second']);
    const replay = await postBatch(server.url, batch);
    expect(replay).toMatchObject({ status: 401, body: { code: 0, error: 'REPLAYED_SIGN' } });
    // The sign covers every message: changing one breaks it.
    const tampered = { ...wholeBatch([{ room_id: 'w1', data: 'x' }]), messages: [{ room_id: 'w1', data: 'y' }] };
    expect(await postBatch(server.url, tampered)).toMatchObject({ status: 401, body: { error: 'BAD_SIGN' } });
    const stale = wholeBatch([{ room_id: 'w1', data: 'x' }], 'stale-nonce-01', Math.floor(Date.now() / 1000) - 3600);
    expect(await postBatch(server.url, stale)).toMatchObject({ status: 401, body: { error: 'STALE_TIMESTAMP' } });
    const md5 = { ...wholeBatch([{ room_id: 'w1', data: 'x' }]), sign_type: 'md5' };
    expect(await postBatch(server.url, md5)).toMatchObject({ status: 400, body: { error: 'INVALID_PARAMETER' } });
    const mixed = wholeBatch([{ room_id: 'w1', data: 'x' }]);
    (mixed.messages[0] as Record<string, string>).sign = 'abc';
    expect(await postBatch(server.url, mixed)).toMatchObject({ status: 400, body: { error: 'INVALID_PARAMETER', msg: expect.stringContaining('no per-message signs') } });
    // A bad room inside a good batch sign is that message's refusal only.
    const partly = await postBatch(server.url, wholeBatch([{ room_id: 'a b', data: 'x' }, { room_id: 'w1', data: 'third' }]));
    expect(partly.body.results!.map((r) => r.error ?? 'ok')).toEqual(['INVALID_ROOM', 'ok']);
    sub.close();
  });
});

describe('notifyBatch (packages/client/node)', () => {
  it('sends md5, strong and whole-batch signed batches', async () => {
    const server = await startServer();
    try {
      const sub = await connectClient(server.url, { roomIds: 'n1,n2' });
      const got = collectMessages(sub, 4);
      for (const scheme of ['legacy', 'strong', 'batch'] as const) {
        const messages = scheme === 'batch' ? [{ rooms: ['n1', 'n2'], data: 'batch' }] : [{ rooms: 'n1', data: scheme }];
        const res = await notifyBatch(server.url, { source: 'demo', signKey: KEY, messages, scheme });
        expect(res).toMatchObject({ status: 200, body: { code: 1, accepted: 1, results: [{ code: 1 }] } });
      }
      const wrong = await notifyBatch(server.url, { source: 'demo', signKey: 'not-the-key', messages: [{ rooms: 'n1', data: 'x' }] });
      expect(wrong.body.results).toEqual([{ code: 0, msg: 'api notify sign verify failed!', error: 'BAD_SIGN' }]);
      expect((await got).map((m) => `${m.room_id}:${m.data}`)).toEqual(['n1:legacy', 'n1:strong', 'n1:batch', 'n2:batch']);
      sub.close();
    } finally {
      await server.close();
    }
  });
});

describe('the push routes served before Express keep the app’s behaviour', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ sources: { demo: { signKey: KEY, corsOrigins: ['http://page.example'] } } });
  });
  afterAll(() => server.close());

  it('CORS, security headers and request ids on /api/notify and /api/notify/batch', async () => {
    for (const [path, body, type] of [
      ['/api/notify', new URLSearchParams(signedNotify('h1', 'x')).toString(), 'application/x-www-form-urlencoded'],
      ['/api/notify/batch', JSON.stringify({ messages: [signedNotify('h1', 'y')] }), 'application/json'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': type, origin: 'http://page.example', 'x-request-id': 'lean-1' },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://page.example');
      expect(res.headers.get('vary')).toContain('Origin');
      expect(res.headers.get('x-request-id')).toBe('lean-1');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect((await res.json()).code).toBe(1);
    }
    // An origin the source does not list: refused (403), and told so under CORS too.
    const foreign = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams(signedNotify('h1', 'x')),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // Matched as Express matched it: any case, a trailing slash; a GET is not a push.
    const upper = await fetch(`${server.url}/API/Notify/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signedNotify('h1', 'x')),
    });
    expect((await upper.json()).code).toBe(1);
    expect((await fetch(`${server.url}/api/notify`)).status).toBe(404);
  });

  it('reads gzip bodies, refuses unknown encodings and charsets', async () => {
    const zipped = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      body: gzipSync(new URLSearchParams(signedNotify('h1', 'zipped')).toString()),
    });
    expect((await zipped.json()).code).toBe(1);
    const odd = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'compress' },
      body: 'x',
    });
    expect(odd.status).toBe(400);
    const charset = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16' },
      body: '{}',
    });
    expect(await charset.json()).toMatchObject({ error: 'INVALID_PARAMETER', msg: 'unsupported body charset' });
  });

  it('while draining, answers a push that arrives 503 with Connection: close, and finishes the one in flight', async () => {
    const s = await startServer();
    const body = new URLSearchParams(signedNotify('d1', 'in-flight')).toString();
    const half = Math.floor(body.length / 2);
    const first = new Promise<number>((resolve, reject) => {
      const req = request(
        `${s.url}/api/notify`,
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      (async () => {
        await until(() => s.inflightRequests === 1, 5000, 'request in flight');
        // A second client has started its request line (so it is not an idle connection) ...
        const late = connect(s.port, '127.0.0.1');
        await once(late, 'connect');
        late.write('POST /api/notify HTTP/1.1\r\nHost: x\r\n');
        let answer = '';
        late.on('data', (d: Buffer) => (answer += d.toString()));
        const ended = once(late, 'close');
        const closed = s.close();
        // ... and finishes it once the server drains: it is refused, not left waiting.
        const second = new URLSearchParams(signedNotify('d1', 'late')).toString();
        late.write(`Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${second.length}\r\n\r\n${second}`);
        await until(() => answer.includes('\r\n\r\n{'), 5000, 'the answer to the late push');
        expect(answer).toMatch(/^HTTP\/1\.1 503/);
        expect(answer.toLowerCase()).toContain('connection: close');
        expect(answer).toContain('"error":"UNAVAILABLE"');
        req.end(body.slice(half));
        await ended;
        await closed;
      })().catch(reject);
    });
    expect(await first).toBe(200);
  });
});

const hasBinary = hasRedisServerBinary();
if (!hasBinary && IN_CI) throw new Error('redis-server is not installed (apt-get install -y redis-server)');

describe.skipIf(!hasBinary)('a batch while Redis is away', () => {
  let redis: PrivateRedis;
  const prefix = uniquePrefix();
  let local: TestServer;
  let strict: TestServer;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    local = await startServer({ adapter: redisAdapter(redis.url, prefix) });
    strict = await startServer({ adapter: redisAdapter(redis.url, prefix, { whenDown: 'reject' }) });
  });
  afterAll(async () => {
    await Promise.all([local?.close(), strict?.close()]);
    await redis.start().catch(() => {});
    await dropPrefix(redis.url, prefix).catch(() => {});
    await redis.stop();
  });

  it('is answered per message and reaches history in one round trip while Redis is up', async () => {
    const sub = await connectClient(local.url, { roomIds: 'r1,r2' });
    const got = collectMessages(sub, 4);
    const res = await postBatch(local.url, { messages: [signedNotify('r1,r2', 'a'), signedNotify('r1', 'b'), signedNotify('r2', 'c')] });
    expect(res.body).toMatchObject({ accepted: 3, refused: 0 });
    const messages = await got;
    expect(messages.map((m) => `${m.room_id}:${m.data}`)).toEqual(['r1:a', 'r2:a', 'r1:b', 'r2:c']);
    // Positions from the shared store: consecutive per room.
    expect(messages.filter((m) => m.room_id === 'r1').map((m) => m.offset)).toEqual([1, 2]);
    sub.close();
  });

  it('delivers locally (whenDown: local) or refuses the whole batch with 503 (whenDown: reject)', async () => {
    const sub = await connectClient(local.url, { roomIds: 'down' });
    const degraded = [local, strict].map((s) => s.backends.health.waitFor('degraded', 10_000));
    await redis.stop();
    await Promise.all(degraded);
    const got = collectMessages(sub, 2);
    const res = await postBatch(local.url, { messages: [signedNotify('down', 'x'), signedNotify('down', 'y'), { ...signedNotify('down', 'z'), sign: 'bad' }] });
    expect(res.body).toMatchObject({ code: 1, accepted: 2, refused: 1 });
    expect((await got).map((m) => m.data)).toEqual(['x', 'y']);
    const refused = await postBatch(strict.url, { messages: [signedNotify('down', 'x')] });
    expect(refused).toMatchObject({ status: 503, body: { code: 0, error: 'UNAVAILABLE' } });
    sub.close();
  });
});

describe('one history round trip per publish', () => {
  it('a message to several rooms, a batch and a postLogs batch each reach the store in one call', async () => {
    const inner = createMemoryHistoryStore({ size: 100, maxAgeMs: 3_600_000 });
    const calls: string[] = [];
    const historyStore = {
      append: (k: string, m: Parameters<typeof inner.append>[1]) => (calls.push('append'), inner.append(k, m)),
      appendMany: (items: Parameters<NonNullable<typeof inner.appendMany>>[0]) => (calls.push(`appendMany:${items.length}`), inner.appendMany!(items)),
      read: inner.read,
      close: inner.close,
    };
    const s = await startServer({}, { backends: { history: historyStore } });
    try {
      expect((await postForm(s.url, signedNotify('x1,x2,x3', 'three rooms'))).body.code).toBe(1);
      expect((await postBatch(s.url, { messages: [signedNotify('x1', 'a'), signedNotify('x1,x2', 'b')] })).body.accepted).toBe(2);
      const hook = io(`${s.url}?source=remote_debug&room_ids=console-log&role=publisher`, { transports: ['websocket'], reconnection: false });
      await once(hook, 'connect');
      const entry = (seq: number) => ({ kind: 'log', v: 1, level: 'log', method: 'log', args: [seq], ts: Date.now(), seq, session: 's1', origin: 'node' });
      const ack = (await hook.timeout(5000).emitWithAck('postLogs', [1, 2, 3, 4, 5].map(entry), 'console-log')) as { ok: boolean };
      expect(ack.ok).toBe(true);
      hook.close();
      expect(calls).toEqual(['appendMany:3', 'appendMany:3', 'appendMany:5']);
    } finally {
      await s.close();
    }
  });
});
