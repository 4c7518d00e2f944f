import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../packages/protocol';
import { legacyConnectSign } from '../../packages/signing';
import { demoConfigInput, DEMO_SOURCES } from '../../server/config';
import { createServer, type ImRelayServer } from '../../server/create-server';
import { createSocketLogStream, type SocketLogStream, type SocketStreamOptions } from '../../terminal-viewer/stream/log-stream';
import type { ConnectionStatus } from '../../terminal-viewer/stream/types';
import { startServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

const KEY = DEMO_SOURCES.demo.signKey;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Recorder {
  stream: SocketLogStream;
  messages: Array<{ data: unknown; origin: 'live' | 'history'; offset?: number }>;
  notices: string[];
  statuses: ConnectionStatus[];
  /** Waits until the stream is connected with its position known in every room. */
  ready(): Promise<void>;
  received(n: number): Promise<void>;
}

function record(url: string, rooms: string[], extra: Partial<SocketStreamOptions> = {}): Recorder {
  const stream = createSocketLogStream({
    server: url,
    source: 'demo',
    rooms,
    sign: legacyConnectSign('demo', rooms.join(','), KEY),
    reconnectDelayMs: 200,
    reconnectDelayMaxMs: 400,
    ...extra,
  });
  cleanups.push(() => stream.close());
  const r: Recorder = {
    stream,
    messages: [],
    notices: [],
    statuses: [],
    ready: () => until(() => stream.status.state === 'connected' && !stream.status.catchingUp, 10_000, 'stream ready'),
    received: (n) => until(() => r.messages.length >= n, 10_000, `${n} messages (have ${r.messages.length})`),
  };
  stream.subscribe({
    messages: (ms: Message[], origin) => r.messages.push(...ms.map((m) => ({ data: m.data, origin, offset: m.offset }))),
    notice: (text) => r.notices.push(text),
    status: (s) => r.statuses.push(s),
  });
  return r;
}

async function serverOn(port: number): Promise<ImRelayServer> {
  const server = createServer({ config: { ...demoConfigInput(), demo: false, logLevel: 'silent' }, logger: pino({ level: 'silent' }) });
  await server.listen(port, '127.0.0.1');
  return server;
}

describe('im-debug socket stream', () => {
  it('delivers live messages of every room once, and the last N on start with tail', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    await server.relay.publish('demo', ['r1'], 'old-1');
    await server.relay.publish('demo', ['r1'], 'old-2');
    await server.relay.publish('demo', ['r1'], 'old-3');
    const r = record(server.url, ['r1', 'r2'], { tail: 2 });
    await r.ready();
    expect(r.messages).toEqual([
      { data: 'old-2', origin: 'history', offset: 2 },
      { data: 'old-3', origin: 'history', offset: 3 },
    ]);
    await server.relay.publish('demo', ['r1', 'r2'], 'both');
    await r.received(4);
    expect(r.messages.slice(2).map((m) => [m.data, m.origin])).toEqual([
      ['both', 'live'],
      ['both', 'live'],
    ]);
  });

  it('without tail shows nothing old, but keeps a message that arrives while it learns its position', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    await server.relay.publish('demo', ['r1'], 'before');
    const r = record(server.url, ['r1']);
    // Published right as the connection opens: either live or after the position read, never lost.
    await until(() => r.statuses.some((s) => s.state === 'connected'), 10_000, 'connected');
    await server.relay.publish('demo', ['r1'], 'during');
    await r.ready();
    await server.relay.publish('demo', ['r1'], 'after');
    await r.received(2);
    expect(r.messages.map((m) => m.data)).toEqual(['during', 'after']);
  });

  it('after a server-side disconnect reconnects by itself and reads what it missed, without duplicates', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const r = record(server.url, ['r1']);
    await r.ready();
    await server.relay.publish('demo', ['r1'], 'm1');
    await r.received(1);

    server.io.disconnectSockets();
    await until(() => r.stream.status.state === 'reconnecting', 10_000, 'reconnecting');
    // Sent while the viewer is away (it waits ~200 ms before reconnecting).
    await server.relay.publish('demo', ['r1'], 'missed-1');
    await server.relay.publish('demo', ['r1'], 'missed-2');
    await r.ready();
    await server.relay.publish('demo', ['r1'], 'm4');
    await r.received(4);
    expect(r.messages.map((m) => [m.data, m.origin])).toEqual([
      ['m1', 'live'],
      ['missed-1', 'history'],
      ['missed-2', 'history'],
      ['m4', 'live'],
    ]);
    expect(r.notices).toContain('reconnected; 2 missed messages read from history');
    expect(r.notices.some((n) => n.startsWith('disconnected (io server disconnect)'))).toBe(true);
  });

  it('survives a server restart on the same port and says the history restarted', async () => {
    const first = await startServer();
    const port = first.port;
    const r = record(first.url, ['r1']);
    await r.ready();
    await first.relay.publish('demo', ['r1'], 'before restart');
    await r.received(1);
    await first.close();
    await until(() => r.stream.status.state === 'reconnecting', 10_000, 'reconnecting');
    const second = await serverOn(port);
    cleanups.push(() => second.close());
    await second.relay.publish('demo', ['r1'], 'while reconnecting');
    await r.ready();
    await second.relay.publish('demo', ['r1'], 'after restart');
    await r.received(3);
    expect(r.messages.map((m) => m.data)).toEqual(['before restart', 'while reconnecting', 'after restart']);
    expect(r.notices.some((n) => n.includes('new epoch'))).toBe(true);
    expect(r.statuses.some((s) => s.state === 'reconnecting' && s.attempt >= 1)).toBe(true);
  });

  it('stops on a refused handshake with the code, without retrying', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const r = record(server.url, ['r1'], { sign: 'bad' });
    await until(() => r.stream.status.state === 'error', 10_000, 'error');
    expect(r.stream.status).toEqual({ state: 'error', message: 'sign verify failed!', code: 'BAD_SIGN' });
    expect(r.statuses.filter((s) => s.state === 'reconnecting')).toEqual([]);
  });
});
