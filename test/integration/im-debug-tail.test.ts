import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry, Message } from '../../packages/protocol';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { runImDebug, type ImDebugProcess } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { once } from '../helpers/wait-for';

let server: TestServer;
let publisher: TestSocket;
const running: ImDebugProcess[] = [];

let seq = 0;
function entry(level: LogEntry['level'], args: unknown[], session = 'tab-1'): LogEntry {
  return { kind: 'log', v: 1, level, method: level, args, ts: Date.now(), seq: ++seq, session, origin: 'browser', callSite: { file: 'https://shop.test/js/app.js', line: 7, col: 3 } };
}

/** Publishes like the browser hook does: an unsigned publish-only connection, postLogs. */
async function postLogs(...entries: LogEntry[]): Promise<void> {
  const ack = (await publisher.emitWithAck('postLogs', entries, 'console-log')) as { ok: boolean };
  expect(ack).toEqual({ ok: true });
}

async function notify(room: string, data: string): Promise<void> {
  const res = await postForm(server.url, signedNotify(room, data, 'remote_debug'));
  expect(res.body.code).toBe(1);
}

function tail(...args: string[]): ImDebugProcess {
  const p = runImDebug(['tail', '--server', server.url, ...args]);
  running.push(p);
  return p;
}

/** The viewer is connected and has its position in every room: what is sent now is news. */
const following = (p: ImDebugProcess) => p.stderrLine(/^im-debug: following /);

beforeAll(async () => {
  server = await startServer();
  publisher = io(server.url, { query: { role: 'publisher', source: 'remote_debug', room_ids: 'console-log' }, transports: ['websocket'], forceNew: true }) as TestSocket;
  await once(publisher, 'connect');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  publisher?.close();
  await server?.close();
});

describe('im-debug tail (the real binary against the real server)', () => {
  it('--json writes one lossless NDJSON object per message, each as soon as it arrives', async () => {
    const p = tail('--room', 'console-log', '--json');
    expect(await p.stderrLine(/demo key/)).toMatch(/public demo key of source "remote_debug"/);
    await following(p);

    const warn = entry('warn', ['disk %s', 'full', { used: 0.97, mounts: ['/', '/var'] }, { $t: 'undefined' }]);
    await postLogs(warn);
    let lines = await p.stdoutLines(1);
    const first = JSON.parse(lines[0]!) as Message;
    expect(first).toMatchObject({ source: 'remote_debug', room_id: 'console-log', data: warn });
    expect(typeof first.offset).toBe('number');

    await notify('console-log', 'a plain notify string');
    lines = await p.stdoutLines(2);
    expect(JSON.parse(lines[1]!)).toMatchObject({ data: 'a plain notify string', offset: first.offset! + 1 });

    // A back end pushing a log entry as JSON text through /api/notify: delivered as sent.
    const fromPhp = JSON.stringify(entry('error', ['from php'], 'php-worker'));
    await notify('console-log', fromPhp);
    lines = await p.stdoutLines(3);
    expect(JSON.parse(lines[2]!).data).toBe(fromPhp);

    // A chat message of a signed client of the same source.
    const chat = await connectClient(server.url, { source: 'remote_debug', roomIds: 'console-log' });
    try {
      await chat.emitWithAck('postMsg', { username: 'spring', text: '你好' }, 'console-log');
    } finally {
      chat.close();
    }
    lines = await p.stdoutLines(4);
    expect(JSON.parse(lines[3]!).data).toEqual({ username: 'spring', text: '你好' });

    await postLogs(entry('info', ['one']), entry('debug', ['two']));
    lines = await p.stdoutLines(6);
    expect(lines.slice(4).map((l) => (JSON.parse(l) as { data: LogEntry }).data.args)).toEqual([['one'], ['two']]);
    const offsets = lines.map((l) => (JSON.parse(l) as Message).offset!);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(6);
  });

  it('plain lines: filters by level and regex, several rooms, non-log messages as plain rows', async () => {
    const p = tail('--room', 'console-log', '--room', 'ops', '--level', 'warn', '--grep', 'disk|cpu');
    await following(p);
    await postLogs(
      entry('info', ['disk ok']),
      entry('warn', ['disk full'], 'tab-abcdef123'),
      entry('error', ['memory leak']),
      entry('error', ['cpu hot', { core: 3 }]),
    );
    await notify('ops', 'disk check from cron');
    await notify('ops', 'ignored by level? no: plain rows count as log, below warn');
    await postLogs(entry('error', ['disk sentinel']));
    const lines = await p.stdoutLines(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARN  #console-log \[tab-abcd\] disk full \(js\/app\.js:7:3\)$/);
    expect(lines[1]).toMatch(/ERROR #console-log \[tab-1\] cpu hot \{ core: 3 \} \(js\/app\.js:7:3\)$/);
    expect(lines[2]).toMatch(/ERROR #console-log \[tab-1\] disk sentinel/);
    expect(p.stdout.filter((l) => l !== '')).toHaveLength(3);
  });

  it('shows plain messages at the default level, and --tail N / --since read history then exit with --no-follow', async () => {
    await notify('history-room', 'h1');
    await notify('history-room', 'h2');
    await notify('history-room', 'h3');
    const last2 = tail('--room', 'history-room', '--tail', '2', '--no-follow');
    expect(await last2.exited).toEqual({ code: 0, signal: null });
    expect(last2.stdout.filter((l) => l !== '').map((l) => l.replace(/^\S+ /, ''))).toEqual(['MSG   h2', 'MSG   h3']);

    const since = tail('--room', 'history-room', '--since', '1h', '--no-follow', '--json');
    expect((await since.exited).code).toBe(0);
    expect(since.stdout.filter((l) => l !== '').map((l) => (JSON.parse(l) as Message).data)).toEqual(['h1', 'h2', 'h3']);
  });

  it('exits with status 2 and the server message when the sign is refused', async () => {
    const p = tail('--room', 'console-log', '--sign-key', 'not-the-key');
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.join('\n')).toContain('im-debug: sign verify failed! (BAD_SIGN)');
  });

  it('never sends the demo key to a server that is not on this machine', async () => {
    const p = runImDebug(['tail', '--room', 'console-log', '--server', 'https://im.example.com']);
    running.push(p);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.join('\n')).toMatch(/no sign key for source "remote_debug" \(the demo key .* only with a server on this machine/);
  });

  it('refuses bad options with a clear message', async () => {
    const p = runImDebug(['tail', '--room', 'console-log', '--grep', '(unclosed', '--server', server.url]);
    running.push(p);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.join('\n')).toMatch(/invalid regular expression \(unclosed/);
    const q = runImDebug(['tail', '--server', server.url]);
    running.push(q);
    expect((await q.exited).code).toBe(1);
    expect(q.stderr.join('\n')).toMatch(/required option '-r, --room <room>' not specified/);
  });
});
