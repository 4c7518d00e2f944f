import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asLogEntry, type Message } from '../../packages/protocol';
import { legacyNotifySign, operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm } from '../helpers/notify';
import { runImDebug, type ImDebugProcess } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages } from '../helpers/wait-for';

/** A port nothing listens on (a server bound it, then closed). */
async function closedPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

let server: TestServer;
const sockets: TestSocket[] = [];
const running: ImDebugProcess[] = [];

function cli(args: string[], opts: Parameters<typeof runImDebug>[1] = {}): ImDebugProcess {
  const p = runImDebug(args, opts);
  running.push(p);
  return p;
}

async function subscribe(source: string, room: string): Promise<TestSocket> {
  const s = await connectClient(server.url, { source, roomIds: room });
  sockets.push(s);
  return s;
}

beforeAll(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await server?.close();
});

describe('im-debug send', () => {
  it('pushes a signed notify, prints the answer and exits 0', async () => {
    const sub = await subscribe('demo', 'monitor_room');
    const got = collectMessages(sub, 1);
    const p = cli(['send', '--server', server.url, '--source', 'demo', '--room', 'monitor_room', '--data', 'hello 你好']);
    expect((await p.exited).code).toBe(0);
    expect(JSON.parse(p.stdout[0]!)).toEqual({ code: 1, msg: 'message notify successed!', data: '' });
    expect((await got)[0]).toMatchObject({ source: 'demo', room_id: 'monitor_room', data: 'hello 你好' });
  });

  it('sends to several rooms, reads data from stdin and writes the message log', async () => {
    const a = await subscribe('demo', 'ra');
    const b = await subscribe('demo', 'rb');
    const got = Promise.all([collectMessages(a, 1), collectMessages(b, 1)]);
    const p = cli(['send', '--server', server.url, '--source', 'demo', '--room', 'ra', '--room', 'rb', '--data', '-', '--filename', 'cli.log'], {
      stdin: '{"type":"order","id":42}\n',
    });
    expect((await p.exited).code).toBe(0);
    const [[ma], [mb]] = await got;
    expect([ma!.data, mb!.data]).toEqual(['{"type":"order","id":42}', '{"type":"order","id":42}']);
    const day = readdirSync(server.logDir)[0]!;
    const line = JSON.parse(readFileSync(path.join(server.logDir, day, 'demo', 'cli.log'), 'utf8').trim()) as { room_id: string; data: string };
    expect(line).toMatchObject({ room_id: 'ra,rb', data: '{"type":"order","id":42}' });
  });

  it('--level sends a log entry that viewers recognise', async () => {
    const sub = await subscribe('remote_debug', 'console-log');
    const got = collectMessages(sub, 1);
    const p = cli(['send', '--server', server.url, '--room', 'console-log', '--level', 'error', '--data', 'boom', '--session', 'cron-7']);
    expect((await p.exited).code).toBe(0);
    const [m] = (await got) as Message[];
    expect(asLogEntry(m!.data)).toMatchObject({ kind: 'log', level: 'error', args: ['boom'], session: 'cron-7', origin: 'cli' });
  });

  it('exits 1 with the server message when the push is refused or the server is unreachable', async () => {
    const bad = cli(['send', '--server', server.url, '--source', 'demo', '--room', 'r', '--data', 'x', '--sign-key', 'wrong-key']);
    expect((await bad.exited).code).toBe(1);
    expect(bad.stderr.join('\n')).toContain('im-debug send: HTTP 401: api notify sign verify failed! (BAD_SIGN)');
    const unknown = cli(['send', '--server', server.url, '--source', 'nope', '--room', 'r', '--data', 'x', '--sign-key', 'k']);
    expect((await unknown.exited).code).toBe(1);
    expect(unknown.stderr.join('\n')).toContain('HTTP 403: this source can not be configured! (UNKNOWN_SOURCE)');
    const port = await closedPort();
    const away = cli(['send', '--server', `http://127.0.0.1:${port}`, '--source', 'demo', '--room', 'r', '--data', 'x']);
    expect((await away.exited).code).toBe(1);
    expect(away.stderr.join('\n')).toContain(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});

describe('im-debug sign', () => {
  it("prints the seed's remote-debug connect sign with the demo key", async () => {
    const p = cli(['sign', '--rooms', 'console-log']);
    expect((await p.exited).code).toBe(0);
    expect(p.stdout.join('\n')).toMatch(/connect sign\s+5b092ffd2f7bcd3eddc9a7655600a998/);
  });

  it('prints notify and operator signs the server accepts', async () => {
    const p = cli(['sign', '--source', 'demo', '--room', 'monitor_room', '--data', 'hi there', '--action', 'refresh', '--subject', 'monitor_room', '--json']);
    expect((await p.exited).code).toBe(0);
    const report = JSON.parse(p.stdout[0]!) as {
      notify: { sign: string; body: string };
      operator: { sign: string; ts: string; query: string };
    };
    expect(report.notify.sign).toBe(legacyNotifySign('demo', 'monitor_room', 'hi there', DEMO_SOURCES.demo.signKey));
    const pushed = await postForm(server.url, Object.fromEntries(new URLSearchParams(report.notify.body)));
    expect(pushed.body.code).toBe(1);
    expect(report.operator.sign).toBe(operatorSign(DEMO_SOURCES.demo.signKey, 'refresh', 'demo', 'monitor_room', report.operator.ts));
    const refreshed = await fetch(`${server.url}/api/refresh?${report.operator.query}`, { method: 'POST' });
    expect(refreshed.status).toBe(200);
  });

  it('uses the key it is given and refuses to guess what to sign', async () => {
    const p = cli(['sign', '--source', 'shop', '--sign-key', 'k3y', '--rooms', 'a,b', '--json']);
    expect((await p.exited).code).toBe(0);
    expect(JSON.parse(p.stdout[0]!)).toMatchObject({ source: 'shop', keyFrom: '--sign-key', connect: { room_ids: 'a,b' } });
    const q = cli(['sign', '--source', 'shop', '--sign-key', 'k3y']);
    expect((await q.exited).code).toBe(2);
    expect(q.stderr.join('\n')).toMatch(/say what to sign/);
  });
});

describe('im-debug serve and --help', () => {
  it('starts the server as npm start does and stops on SIGTERM', async () => {
    const p = cli(['serve', '--port', '0'], { env: { LOG_DIR: mkdtempSync(path.join(tmpdir(), 'im-serve-')), HOST: '127.0.0.1' } });
    const listening = JSON.parse(await p.stdoutLine(/listening on/)) as { port: number };
    expect(listening.port).toBeGreaterThan(0);
    expect(p.stderr.join('\n')).toContain('DEMO KEYS IN USE');
    const health = await fetch(`http://127.0.0.1:${listening.port}/healthz`);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect(await p.stop()).toEqual({ code: 0, signal: null });
  });

  it('has help with examples for every command', async () => {
    for (const command of ['tail', 'send', 'sign', 'serve']) {
      const p = cli([command, '--help']);
      expect((await p.exited).code).toBe(0);
      const text = p.stdout.join('\n');
      expect(text).toMatch(/Examples:\n {2}\$ im-debug /);
      if (command === 'serve') expect(text).toContain('Usage: npm start -- [--config FILE] [--port N]');
      if (command === 'tail') expect(text).toContain('space');
    }
  });
});
