import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { joinRoom } from '../../debug-viewer/connection';
import { legacyConnectSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { cutTransport, type EngineClient } from '../../server/engine';
import { createSocketLogStream } from '../../terminal-viewer/stream/log-stream';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';
import { hookTransport } from '../helpers/hook-transport';

/**
 * What each client says when the server cut its last connection as a slow consumer (the SDK's
 * own notice is in slow-consumers.test.ts). The cut is made the way the output budget makes it
 * (slowConsumers.cut, then the transport destroyed), without filling a real buffer first.
 */

const KEY = DEMO_SOURCES.demo.signKey;
let server: TestServer;
const closers: Array<() => void> = [];

beforeAll(async () => {
  server = await startServer();
});
afterEach(() => {
  for (const c of closers.splice(0)) c();
});
afterAll(() => server?.close());

function cutAsSlow(userid: string): void {
  const sockets = [...server.io.of('/').sockets.values()].filter((s) => s.data.userid === userid);
  expect(sockets).toHaveLength(1);
  const client = sockets[0]!.client as unknown as EngineClient;
  server.slowConsumers.cut(client, 5 * 1024 * 1024, 'connection');
  cutTransport(client);
}

const connected = (userid: string) => [...server.io.of('/').sockets.values()].some((s) => s.data.userid === userid);

describe('SLOW_CONSUMER is shown to the user', () => {
  it('by im-debug tail, as a warning notice, and it reads on', async () => {
    const notices: string[] = [];
    const stream = createSocketLogStream({
      server: server.url,
      source: 'demo',
      rooms: ['t'],
      sign: legacyConnectSign('demo', 't', KEY),
      userid: 'tail-user',
      reconnectDelayMs: 20,
      reconnectDelayMaxMs: 50,
    });
    closers.push(() => stream.close());
    const got: unknown[] = [];
    stream.subscribe({ notice: (text, level) => notices.push(`${level}: ${text}`), messages: (m) => got.push(...m.map((x) => x.data)) });
    await until(() => connected('tail-user') && stream.status.state === 'connected', 10_000, 'tail connected');
    cutAsSlow('tail-user');
    await until(() => notices.some((n) => n.includes('SLOW_CONSUMER')), 10_000, 'the notice');
    expect(notices.find((n) => n.includes('SLOW_CONSUMER'))).toMatch(/^warn: SLOW_CONSUMER: .*did not read fast enough/);
    await until(() => stream.status.state === 'connected' && connected('tail-user'), 10_000, 'reconnected');
    await server.relay.publish('demo', ['t'], 'after');
    await until(() => got.includes('after'), 10_000, 'a message after');
  });

  it('by /debug, in its status line', async () => {
    const statuses: string[] = [];
    const stop = joinRoom(
      { server: server.url, source: 'demo', room: 'd', sign: legacyConnectSign('demo', 'd', KEY), userid: 'debug-user' },
      { onMessages: () => undefined, onStatus: (_state, detail) => statuses.push(detail) },
    );
    closers.push(stop);
    await until(() => connected('debug-user'), 10_000, '/debug connected');
    cutAsSlow('debug-user');
    await until(() => statuses.some((s) => s.includes('SLOW_CONSUMER')), 10_000, 'the status');
    expect(statuses.find((s) => s.includes('SLOW_CONSUMER'))).toMatch(/did not read fast enough/);
  });

  it('by the browser hook, through its diagnostics, and comes back', async () => {
    const { transport, diags } = hookTransport(server.url, 'hook-user');
    closers.push(() => transport.close());
    await until(() => transport.status().connected && connected('hook-user'), 10_000, 'hook connected');
    cutAsSlow('hook-user');
    await until(() => diags.some((d) => d.includes('SLOW_CONSUMER')), 10_000, 'the diagnostic');
    expect(diags.find((d) => d.includes('SLOW_CONSUMER'))).toMatch(/^remote debug: .*SLOW_CONSUMER/);
    await until(() => transport.status().connected && connected('hook-user'), 10_000, 'hook reconnected');
  });
});
