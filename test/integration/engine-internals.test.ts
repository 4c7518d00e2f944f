import { Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { legacyConnectSign } from '../../packages/signing';
import { demoConfigInput, DEMO_SOURCES } from '../../server/config';
import { createServer } from '../../server/create-server';
import { pino } from 'pino';
import { EngineInternalsError, TESTED_VERSIONS, type EngineClient, type EngineOptions } from '../../server/engine';
import { unexpectedMembers } from '../../server/engine/connections';
import { checkEngineInternals } from '../../server/engine/check';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { RawSocket } from '../helpers/raw-socket';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages } from '../helpers/wait-for';

/** im_deliveries_total as /metrics tells it. */
async function deliveries(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^im_deliveries_total (\d+)/m.exec(text)?.[1]);
}

describe('engine internals (server/engine/)', () => {
  it('finds every private member it replaces in the installed, tested versions', () => {
    const warnings: string[] = [];
    const versions = checkEngineInternals((m) => warnings.push(m));
    for (const [name, minor] of Object.entries(TESTED_VERSIONS)) expect(versions[name as keyof typeof versions].startsWith(`${minor}.`)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('refuses to start, naming the member and the installed versions, when one is gone', () => {
    const proto = Socket.prototype as unknown as Record<string, unknown>;
    const dispatch = proto.dispatch;
    const notify = proto.notifyOutgoingListeners;
    try {
      delete proto.dispatch;
      proto.notifyOutgoingListeners = (a: unknown, b: unknown) => [a, b];
      let error: unknown;
      try {
        createServer({ config: { ...demoConfigInput(), demo: false, logLevel: 'silent' } });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(EngineInternalsError);
      const message = (error as Error).message;
      expect(message).toContain('socket.io Socket#dispatch is missing');
      expect(message).toContain('socket.io Socket#notifyOutgoingListeners takes 2 arguments, not 1');
      expect(message).toMatch(/Installed: socket\.io 4\.8\.\d+, engine\.io 6\.6\.\d+, socket\.io-adapter 2\.5\.\d+, ws 8\.21\.\d+/);
      expect(message).toContain('reinstall @node-socket-im/server');
    } finally {
      proto.dispatch = dispatch;
      proto.notifyOutgoingListeners = notify;
    }
  });

  it('checks what it reads of a live connection on the first one, and names what is not as tested', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const server = await startServer({}, { logger });
    try {
      const client = await connectClient(server.url, { roomIds: 'live' });
      client.close();
      expect(lines.filter((l) => l.includes('engine internals'))).toEqual([]);
    } finally {
      await server.close();
    }
    const stale = { sockets: {}, conn: { writeBuffer: null, transport: { name: 'websocket', socket: {} } } } as unknown as EngineClient;
    expect(unexpectedMembers(stale)).toEqual([
      'socket.io Client#sockets is not a Map',
      'engine.io Socket#writeBuffer is not an array',
      'engine.io WebSocket transport: socket._socket is not a net.Socket',
    ]);
  });
});

// What each private member is used for must work the same when it is switched off (the benchmarks
// measure the difference): the guard, delivery counting, and the output budget's measurements.
const MODES: Array<[string, EngineOptions | undefined]> = [
  ['with every private member in use', undefined],
  ['with each switched off', { coalesceWrites: false, replaceDispatch: false, replaceNotify: false }],
];

describe.each(MODES)('the socket layer %s', (_label, engine) => {
  let server: TestServer | undefined;
  const clients: TestSocket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
  });

  it('guards packets, answers events and counts one delivery per socket', async () => {
    server = await startServer({}, { engine });
    const a = await connectClient(server.url, { roomIds: 'eng' });
    const b = await connectClient(server.url, { roomIds: 'eng', userid: '2' });
    clients.push(a, b);
    const before = await deliveries(server);

    const untyped = a as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> } };
    expect(await untyped.timeout(2000).emitWithAck('noSuchEvent', 1)).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'unknown event "noSuchEvent"' } });

    const got = Promise.all([collectMessages(a, 20), collectMessages(b, 20)]);
    for (let i = 0; i < 20; i++) expect(await a.timeout(2000).emitWithAck('postMsg', `m${i}`, 'eng')).toEqual({ ok: true });
    for (const list of await got) expect(list.map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect((await deliveries(server)) - before).toBe(40);
  });

  it('cuts a reader that stopped reading once more than its output budget waits for it', async () => {
    server = await startServer({ limits: { maxQueuedBytesPerConnection: 128 * 1024 } }, { engine });
    const q = new URLSearchParams({ userid: 's', username: 's', source: 'demo', room_ids: 'big', sign: legacyConnectSign('demo', 'big', DEMO_SOURCES.demo.signKey), ext_info: '' });
    const raw = await RawSocket.open(server.url, q.toString());
    try {
      raw.send('0');
      expect(await raw.nextReply()).toMatch(/^0\{"sid"/);
      raw.pause();
      const cuts = async () => (await server!.metrics.slowConsumerCloses.get()).values.find((v) => v.labels.budget === 'connection')?.value ?? 0;
      // One push per turn of the event loop, as pushes come over HTTP; bounded.
      for (let n = 0; n < 4000 && (await cuts()) === 0; n++) {
        await server.relay.publish('demo', ['big'], { n, pad: 'x'.repeat(8 * 1024) });
        await new Promise((r) => setImmediate(r));
      }
      expect(await cuts()).toBe(1);
    } finally {
      raw.close();
    }
  });
});
