import { mkdtempSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteLogger } from '../../packages/log-client';
import { asLogEntry, type Message } from '../../packages/protocol';
import { DEMO_SOURCES, demoConfigInput } from '../../server/config';
import { createServer } from '../../server/create-server';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, until } from '../helpers/wait-for';

const KEY = DEMO_SOURCES.remote_debug.signKey;

describe('Node remote logger (createRemoteLogger)', () => {
  let server: TestServer;
  let reader: TestSocket;

  beforeAll(async () => {
    server = await startServer();
    reader = await connectClient(server.url, { source: 'remote_debug', roomIds: 'console-log' });
  });
  afterAll(async () => {
    reader?.close();
    await server?.close();
  });

  it('ships entries of the shared schema, in order, with the caller as call site', async () => {
    const logger = createRemoteLogger({ server: server.url, source: 'remote_debug', signKey: KEY, room: 'console-log', session: 'worker-1' });
    const got = collectMessages(reader, 5);
    logger.debug('debugging', { n: 1 });
    logger.log('plain', 2n);
    logger.info('info', new Map([['k', 1]]));
    logger.warn('careful', undefined);
    const line = new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)![1];
    logger.error(new Error('boom', { cause: new Error('root') }));
    await logger.flush();
    const messages: Message[] = await got;
    // Back ends push through /api/notify: `data` is the entry as JSON text.
    expect(typeof messages[0]!.data).toBe('string');
    const entries = messages.map((m) => asLogEntry(m.data)!);
    expect(entries.map((e) => e.level)).toEqual(['debug', 'log', 'info', 'warn', 'error']);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries.every((e) => e.origin === 'node' && e.session === 'worker-1')).toBe(true);
    expect(entries[1]!.args).toEqual(['plain', { $t: 'bigint', value: '2' }]);
    expect(entries[2]!.args[1]).toEqual({ $t: 'Map', size: 1, entries: [['k', 1]] });
    expect(entries[3]!.args).toEqual(['careful', { $t: 'undefined' }]);
    expect(entries[4]!.args[0]).toMatchObject({ $t: 'Error', message: 'boom', cause: { $t: 'Error', message: 'root' } });
    expect(entries[4]!.callSite?.file).toMatch(/log-client\.test\.ts$/);
    expect(entries[4]!.callSite?.line).toBe(Number(line) + 1);
    expect(logger.stats()).toEqual({ sent: 5, dropped: 0, buffered: 0 });
  });

  it('never throws into the caller: a wrong key is reported and the entry dropped', async () => {
    const problems: string[] = [];
    const logger = createRemoteLogger({
      server: server.url,
      source: 'remote_debug',
      signKey: 'not-the-key',
      room: 'console-log',
      onError: (e) => problems.push(e.message),
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => logger.log(cyclic, Symbol('x'))).not.toThrow();
    await logger.flush();
    expect(problems[0]).toMatch(/^refused: 401 .*api notify sign verify failed!/);
    expect(logger.stats()).toEqual({ sent: 0, dropped: 1, buffered: 0 });
  });

  it('keeps entries while the server is down and delivers them in order once it is up', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const problems: string[] = [];
    const logger = createRemoteLogger({
      server: `http://127.0.0.1:${port}`,
      source: 'remote_debug',
      signKey: KEY,
      room: 'console-log',
      onError: (e) => problems.push(e.message),
    });
    logger.info('one');
    logger.info('two');
    logger.info('three');
    void logger.flush(1);
    await until(() => problems.some((p) => p.startsWith('cannot reach')), 10_000, 'a failed push');
    expect(logger.stats().sent).toBe(0);
    const late = createServer({
      config: { ...demoConfigInput(), demo: false, logDir: mkdtempSync(path.join(tmpdir(), 'im-logs-')) },
      logger: pino({ level: 'silent' }),
    });
    await late.listen(port, '127.0.0.1');
    try {
      await logger.flush(30_000);
      expect(logger.stats()).toEqual({ sent: 3, dropped: 0, buffered: 0 });
      const r = await connectClient(`http://127.0.0.1:${port}`, { source: 'remote_debug', roomIds: 'console-log' });
      const history = (await r.timeout(5000).emitWithAck('history', { room_id: 'console-log' })) as { ok: true; result: { messages: Message[] } };
      r.close();
      expect(history.result.messages.map((m) => asLogEntry(m.data)!.args[0])).toEqual(['one', 'two', 'three']);
    } finally {
      await late.close();
    }
  });
});
