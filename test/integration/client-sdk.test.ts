import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Message } from '../../packages/protocol';
import { createClient, type ClientError, type ClientOptions, type ImClient } from '../../packages/client';
import { notify, signedConnectUrl, signedNotifyBody } from '../../packages/client/node';
import { createMemoryHistoryStore, type HistoryStore } from '../../server/relay/history-store';
import { createServer, type ImRelayServer } from '../../server/create-server';
import { demoConfigInput, DEMO_SOURCES, type ServerConfigInput } from '../../server/config';
import { roomKey } from '../../server/core/rooms';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { holdHandshakes } from '../helpers/hold-handshakes';
import { recordingClient } from '../helpers/sdk-client';

const KEY = DEMO_SOURCES.demo.signKey;

/** The SDK's typed client (the ESM entry) in Node, against the real server. */
describe('createClient (ESM entry) against the real server', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function open(base: string, rooms: string, options: ClientOptions = {}, userid = '1') {
    const c = recordingClient(base, rooms, options, userid);
    cleanup.push(() => c.client.close());
    return c;
  }

  async function server(config: Partial<ServerConfigInput> = {}): Promise<TestServer> {
    const s = await startServer(config);
    cleanup.push(() => s.close());
    return s;
  }

  const connected = (c: ImClient) => until(() => c.state === 'connected', 5000, 'connected');

  it('receives notify messages and sends with an acknowledgement', async () => {
    const s = await server();
    const a = open(s.url, 'r1');
    await connected(a.client);
    expect((await postForm(s.url, signedNotify('r1', 'hello'))).body.code).toBe(1);
    await until(() => a.received.length === 1);
    expect(a.received[0]).toMatchObject({ source: 'demo', room_id: 'r1', data: 'hello', offset: 1 });

    expect(await a.client.send({ n: 1 }, ['r1'])).toEqual({ ok: true });
    await until(() => a.received.length === 2);
    expect(a.received[1]!.data).toEqual({ n: 1 });

    const refused = await a.client.send('x', 'bad room!');
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_ROOM' } });
  });

  it('the node helpers sign connect URLs and notify bodies the server accepts (legacy and strong)', async () => {
    const s = await server();
    const strong = createClient(
      signedConnectUrl({ url: s.url, source: 'demo', signKey: KEY, rooms: ['r1'], userid: '9', username: 'n', scheme: 'strong' }),
      { socketOptions: { transports: ['websocket'] }, reconnectionDelay: 20 },
    );
    cleanup.push(() => strong.close());
    const got: Message[] = [];
    strong.socket.on('newMsg', (m) => got.push(m));
    await connected(strong);
    const res = await notify(s.url, { source: 'demo', signKey: KEY, rooms: 'r1', data: 'signed by node.ts' });
    expect(res.body).toMatchObject({ code: 1 });
    const strongRes = await postForm(s.url, signedNotifyBody({ source: 'demo', signKey: KEY, rooms: ['r1'], data: 'v2', scheme: 'strong' }));
    expect(strongRes.body).toMatchObject({ code: 1 });
    await until(() => got.length === 2);
    expect(got.map((m) => m.data)).toEqual(['signed by node.ts', 'v2']);
  });

  it('a refused handshake reaches onError with the server message and is not retried', async () => {
    const s = await server();
    let attempts = 0;
    const url = signedConnectUrl({ url: s.url, source: 'demo', signKey: 'not-the-key', rooms: 'r1', userid: '1', username: 'u' });
    const errors: ClientError[] = [];
    const client = createClient(url, {
      reconnectionDelay: 10,
      socketOptions: { transports: ['websocket'] },
      onError: (e) => errors.push(e),
      onReconnectAttempt: () => attempts++,
    });
    cleanup.push(() => client.close());
    await until(() => errors.length === 1);
    expect(errors[0]).toEqual({ kind: 'handshake', code: 'BAD_SIGN', message: 'sign verify failed!' });
    expect(client.state).toBe('closed');
    // The engine connection is closed too: nothing is left that could retry.
    expect(client.socket.io.engine.readyState).toBe('closed');
    expect(attempts).toBe(0);
    expect(await client.send('x', 'r1')).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('gives up after maxReconnectAttempts failed attempts and says so', async () => {
    const s = await startServer();
    const attempts: number[] = [];
    let failed = 0;
    const a = open(s.url, 'r1', {
      maxReconnectAttempts: 3,
      onReconnectAttempt: (n) => attempts.push(n),
      onReconnectFailed: () => failed++,
    });
    await connected(a.client);
    await s.close();
    await until(() => a.client.state !== 'connected');
    const queued = a.client.send('never sent', 'r1');
    await until(() => failed === 1, 10_000, 'reconnect failed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(a.client.state).toBe('closed');
    // The message sent after the server went away was dropped, reported once and resolved.
    expect(await queued).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });

  it('also gives up when the server is down from the start', async () => {
    const s = await startServer();
    const base = s.url;
    await s.close(); // nothing listens there any more
    const attempts: number[] = [];
    let failed = 0;
    const a = open(base, 'r1', {
      maxReconnectAttempts: 2,
      onReconnectAttempt: (n) => attempts.push(n),
      onReconnectFailed: () => failed++,
    });
    const queued = a.client.send('waits, then is dropped', 'r1');
    await until(() => failed === 1, 10_000, 'reconnect failed');
    expect(attempts).toEqual([1, 2]);
    expect(await queued).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(a.errors).toEqual([{ kind: 'send', code: 'UNAVAILABLE', message: '1 queued message(s) were not sent: the connection was closed' }]);
  });

  it('queues sends while disconnected (bounded) and flushes them in order on reconnect', async () => {
    // The reconnect is a new session (no state recovery), as after an instance crash.
    const s = await server();
    const hold = holdHandshakes(s);
    const a = open(s.url, 'chat', { queueSize: 5 }, '1');
    const b = open(s.url, 'chat', {}, '2');
    await connected(a.client);
    await connected(b.client);

    hold.cut('1');
    await until(() => a.client.state !== 'connected');
    const results = [1, 2, 3, 4, 5, 6].map((n) => a.client.send(n, 'chat'));
    // The sixth did not fit in the queue of five.
    expect(await results[5]).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await until(() => hold.waiting() >= 1, 5000, 'reconnect attempt');
    hold.release();
    expect(await Promise.all(results.slice(0, 5))).toEqual(Array(5).fill({ ok: true }));
    await until(() => b.received.length === 5);
    expect(b.received.map((m) => m.data)).toEqual([1, 2, 3, 4, 5]);
  });

  it('after a reconnect asks history for what it missed: in order, once, live messages after', async () => {
    const s = await server();
    const hold = holdHandshakes(s);
    const b = open(s.url, 'r1,r2', {}, '2');
    await connected(b.client);
    await postForm(s.url, signedNotify('r1,r2', 'before'));
    await until(() => b.received.length === 2);

    hold.cut('2');
    await until(() => b.client.state !== 'connected');
    for (const n of [1, 2, 3]) await postForm(s.url, signedNotify('r1', `missed ${n}`));
    await postForm(s.url, signedNotify('r2', 'missed r2'));
    await until(() => hold.waiting() >= 1, 5000, 'reconnect attempt');
    hold.release();
    await until(() => b.connects() === 2);
    await postForm(s.url, signedNotify('r1', 'live'));
    await until(() => b.received.length === 7);
    const r1 = b.received.filter((m) => m.room_id === 'r1');
    expect(r1.map((m) => m.data)).toEqual(['before', 'missed 1', 'missed 2', 'missed 3', 'live']);
    expect(r1.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(b.received.filter((m) => m.room_id === 'r2').map((m) => m.data)).toEqual(['before', 'missed r2']);
    expect(b.gaps).toEqual([]);
  });

  it('a message lost while connected (its broadcast never came) is read from history when the next one shows the gap', async () => {
    const s = await server();
    const b = open(s.url, 'r1', {}, '2');
    await connected(b.client);
    await postForm(s.url, signedNotify('r1', 'first'));
    await until(() => b.received.length === 1);
    // What a lost broadcast leaves behind (a Redis pub/sub subscriber that reconnected, say):
    // the messages are in the room's history, and no client got them.
    for (const n of [1, 2]) await s.backends.history.append(roomKey('demo', 'r1'), { source: 'demo', room_id: 'r1', data: `lost ${n}`, ts: Date.now() });
    await postForm(s.url, signedNotify('r1', 'next'));
    await until(() => b.received.length === 4, 5000, 'the lost messages and the next one');
    expect(b.received.map((m) => m.data)).toEqual(['first', 'lost 1', 'lost 2', 'next']);
    expect(b.received.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
    expect(b.connects()).toBe(1);
    expect(b.gaps).toEqual([]);
    // With catch-up off the SDK hands over what arrives, as before.
    const plain = open(s.url, 'r1', { catchUp: false }, '3');
    await connected(plain.client);
    await s.backends.history.append(roomKey('demo', 'r1'), { source: 'demo', room_id: 'r1', data: 'lost 3', ts: Date.now() });
    await postForm(s.url, signedNotify('r1', 'last'));
    await until(() => plain.received.length === 1 && b.received.length === 6);
    expect(plain.received.map((m) => m.data)).toEqual(['last']);
    expect(b.received.slice(4).map((m) => m.data)).toEqual(['lost 3', 'last']);
  });

  it('catches up even when the reconnect flush uses up the per-connection event rate (history reads are retried)', async () => {
    const s = await server({ rateLimits: { perConnection: 6 } });
    const hold = holdHandshakes(s);
    const b = open(s.url, 'busy', { ackTimeout: 5000 }, '2');
    await connected(b.client);
    await postForm(s.url, signedNotify('busy', 'before'));
    await until(() => b.received.length === 1);
    hold.cut('2');
    await until(() => b.client.state !== 'connected');
    const sends = [1, 2, 3, 4, 5, 6].map((n) => b.client.send(n, 'busy'));
    await postForm(s.url, signedNotify('busy', 'missed'));
    await until(() => hold.waiting() >= 1, 5000, 'reconnect attempt');
    hold.release();
    // The six queued posts take the whole budget of the window; the history read waits for the next.
    expect(await Promise.all(sends)).toEqual(Array(6).fill({ ok: true }));
    await until(() => b.received.length === 8, 10_000, 'catch-up after the rate window');
    expect(b.received.map((m) => m.data)).toEqual(['before', 'missed', 1, 2, 3, 4, 5, 6]);
    expect(b.gaps).toEqual([]);
  });

  it('survives a server restart that keeps the room history (a crashed instance, another takes over)', async () => {
    const shared = createMemoryHistoryStore({ size: 100, maxAgeMs: 3_600_000 });
    // The store outlives each server (as Redis does in a cluster).
    const store: HistoryStore = { ...shared, close: async () => undefined };
    cleanup.push(() => shared.close());
    const first = await listenOn(0, store);
    const port = first.port;
    const b = open(`http://127.0.0.1:${port}`, 'r1', {}, '2');
    await connected(b.client);
    await first.relay.publish('demo', ['r1'], 'one');
    await until(() => b.received.length === 1);
    await first.server.close();
    await until(() => b.client.state !== 'connected');

    const second = await listenOn(port, store, true);
    await second.relay.publish('demo', ['r1'], 'two (while away)');
    await second.relay.publish('demo', ['r1'], 'three (while away)');
    second.hold.release();
    await until(() => b.received.length === 3, 10_000, 'catch-up');
    expect(b.received.map((m) => m.data)).toEqual(['one', 'two (while away)', 'three (while away)']);
    expect(b.received.map((m) => m.offset)).toEqual([1, 2, 3]);
  });

  it('a server-side sys_error reaches onError', async () => {
    const s = await server();
    const a = open(s.url, 'r1');
    await connected(a.client);
    a.client.socket.emit('postMsg', '', 'r1'); // no ack: the server answers with sys_error
    await until(() => a.errors.length === 1);
    expect(a.errors[0]).toEqual({ kind: 'server', message: 'data can not be null!' });
  });

  it('refreshPage calls onRefresh (and never reloads in Node)', async () => {
    const s = await server();
    let refreshed = 0;
    const a = open(s.url, 'r1', { onRefresh: () => void refreshed++ });
    await connected(a.client);
    s.relay.refresh('demo', ['r1']);
    await until(() => refreshed === 1);
  });

  async function listenOn(port: number, historyStore: HistoryStore, held = false) {
    const logDir = mkdtempSync(path.join(tmpdir(), 'im-logs-'));
    const server = createServer({
      config: { ...demoConfigInput(), demo: false, logLevel: 'silent', logDir },
      logger: pino({ level: 'silent' }),
      backends: { history: historyStore },
    });
    const hold = holdHandshakes(server);
    hold.on = held;
    const bound = await server.listen(port, '127.0.0.1');
    cleanup.push(() => server.close());
    return { server, port: bound, relay: server.relay, hold };
  }
});
