import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../packages/protocol';
import { signRequest, strongConnectSign, strongNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import type { TestSocket } from '../helpers/connect-client';
import { postForm } from '../helpers/notify';
import { runImDebug, type ImDebugProcess } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages, once } from '../helpers/wait-for';

/** im-debug against a source that accepts only strong signs (`signing: "strong"`). */
const KEY = 'strict-cli-key-0123456';

const SOURCES = {
  demo: { signKey: DEMO_SOURCES.demo.signKey },
  remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'] } },
  strict: { signKey: KEY, signing: 'strong' as const },
};

/**
 * Connection state recovery is off: every reconnect goes through the handshake again, so a
 * reused sign would be refused.
 */
let server: TestServer;
/** A configuration that still sets the old `recovery` key: it no longer changes anything. */
let recovering: TestServer;
const running: ImDebugProcess[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  [server, recovering] = await Promise.all([
    startServer({ sources: SOURCES }),
    startServer({ sources: SOURCES, recovery: { maxDisconnectionSeconds: 120 } }),
  ]);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await Promise.all([server?.close(), recovering?.close()]);
});

function cli(args: string[], opts: Parameters<typeof runImDebug>[1] = {}): ImDebugProcess {
  const p = runImDebug(args, opts);
  running.push(p);
  return p;
}

const strict = ['--server', '', '--source', 'strict', '--sign-key', KEY];
const at = () => strict.map((a, i) => (i === 1 ? server.url : a));

/** A reader of the strict source, strongly signed, joined to `room`. */
async function subscribe(room: string): Promise<TestSocket> {
  const fields = signRequest({ kind: 'connect', source: 'strict', roomIds: room, userid: 'reader', signKey: KEY });
  const s = io(`${server.url}?${new URLSearchParams({ ...fields, username: 'reader' })}`, { transports: ['websocket'], forceNew: true, reconnection: false }) as TestSocket;
  sockets.push(s);
  await once(s, 'connect');
  return s;
}

async function push(room: string, data: string, to: TestServer = server): Promise<void> {
  const res = await postForm(to.url, signRequest({ kind: 'notify', source: 'strict', roomId: room, data, signKey: KEY }));
  expect(res.body.code).toBe(1);
}

/** The server side of a user's connection (this test's server: local sockets). */
function serverSocketOf(userid: string, on: TestServer = server) {
  const found = [...on.io.of('/').sockets.values()].filter((s) => s.data.userid === userid);
  expect(found.length).toBe(1);
  return found[0]!;
}

/** Resolves once `count` stderr lines match (waits on output, not on time). */
function stderrCount(p: ImDebugProcess, match: RegExp, count: number, ms = 20_000): Promise<void> {
  const enough = () => p.stderr.filter((l) => match.test(l)).length >= count;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${count}× ${match}\n${p.stderr.join('\n')}`)), ms);
    const check = () => {
      if (enough()) done();
    };
    const exited = () => done(new Error(`im-debug exited before ${count}× ${match}\n${p.stderr.join('\n')}`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      p.child.stderr!.off('data', check);
      p.child.off('close', exited);
      if (err) reject(err);
      else resolve();
    };
    // run-im-debug's own 'data' listener was added first, so the lines are already split here.
    p.child.stderr!.on('data', check);
    p.child.once('close', exited);
    check();
  });
}

describe('legacy signs against a strong-only source', () => {
  it('tail and send are refused with the server reason and a hint to use --strong', async () => {
    const t = cli(['tail', ...at(), '--room', 'r']);
    expect((await t.exited).code).toBe(2);
    const tailErr = t.stderr.join('\n');
    expect(tailErr).toContain('im-debug: source strict requires strong signs');
    expect(tailErr).toContain('(BAD_SIGN)');
    expect(tailErr).toContain('add --strong (or IM_STRONG=1)');

    const s = cli(['send', ...at(), '--room', 'r', '--data', 'x']);
    expect((await s.exited).code).toBe(1);
    const sendErr = s.stderr.join('\n');
    expect(sendErr).toMatch(/im-debug send: HTTP 401: source strict requires strong signs.*\(BAD_SIGN\)/);
    expect(sendErr).toContain('add --strong');
  });

  it('--strong with a ready-made --sign is refused before anything is sent', async () => {
    const t = cli(['tail', ...at(), '--room', 'r', '--strong', '--sign', 'abc']);
    expect((await t.exited).code).toBe(2);
    expect(t.stderr.join('\n')).toMatch(/--sign cannot be used with strong signs \(--strong\): a strong connect sign is single-use.*give the key instead/);
    const s = cli(['send', ...at(), '--room', 'r', '--data', 'x', '--sign', 'abc'], { env: { IM_STRONG: '1' } });
    expect((await s.exited).code).toBe(2);
    expect(s.stderr.join('\n')).toMatch(/--sign cannot be used with strong signs \(IM_STRONG=1\).*or pass --no-strong/);
  });
});

describe('im-debug send --strong', () => {
  it('pushes a strongly signed notify (flag, env or config file)', async () => {
    const reader = await subscribe('orders');
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'im-debug-strong-')), 'im-debug.json');
    writeFileSync(config, JSON.stringify({ server: server.url, source: 'strict', keys: { strict: KEY }, strong: true }));
    const runs: Array<[string[], Record<string, string>]> = [
      [[...at(), '--strong'], {}],
      [at(), { IM_STRONG: '1' }],
      [['--config', config], {}],
    ];
    for (const [i, [args, env]] of runs.entries()) {
      const got = collectMessages(reader, 1, 20_000);
      const p = cli(['send', ...args, '--room', 'orders', '--data', `{"id":${i}}`], { env });
      expect((await p.exited).code).toBe(0);
      expect(JSON.parse(p.stdout[0]!)).toEqual({ code: 1, msg: 'message notify successed!', data: '' });
      expect((await got)[0]!.data).toBe(`{"id":${i}}`);
    }
    // --no-strong wins over the config file: back to the legacy sign, which this source refuses.
    const d = cli(['send', '--config', config, '--room', 'orders', '--data', 'x', '--no-strong']);
    expect((await d.exited).code).toBe(1);
    expect(d.stderr.join('\n')).toContain('requires strong signs');
  });
});

describe('im-debug tail --strong', () => {
  it.each([
    ['default configuration', false],
    ['an old configuration with recovery.maxDisconnectionSeconds: 120', true],
  ])('follows a strong-only source and signs every reconnect afresh, no replay refusal (%s)', async (_name, withRecovery) => {
    const target = withRecovery ? recovering : server;
    const p = cli(['tail', '--server', target.url, '--source', 'strict', '--sign-key', KEY, '--room', 'live', '--strong', '--userid', 'ops-1', '--json']);
    await p.stderrLine(/^im-debug: following #live/);
    const first = serverSocketOf('ops-1', target);
    expect(first.data.signedWith).toBe('strong');
    expect(first.handshake.query.sign).toBeUndefined();
    const nonces = [first.handshake.auth.nonce as string];

    await push('live', 'm1', target);
    await p.stdoutLines(1);

    // 1. The transport drops (socket.io-client reconnects by itself).
    first.conn.close();
    await stderrCount(p, /^im-debug: reconnected; /, 1);
    const second = serverSocketOf('ops-1', target);
    expect(second.recovered).toBe(false);
    nonces.push(second.handshake.auth.nonce as string);
    await push('live', 'm2', target);
    await p.stdoutLines(2);

    // 2. The server ends the session (im-debug reconnects on its own timer).
    second.disconnect();
    await stderrCount(p, /^im-debug: reconnected; /, 2);
    const last = serverSocketOf('ops-1', target);
    expect(last.recovered).toBe(false);
    expect(last.data.signedWith).toBe('strong');
    nonces.push(last.handshake.auth.nonce as string);
    await push('live', 'm3', target);
    const lines = await p.stdoutLines(3);

    expect(lines.map((l) => (JSON.parse(l) as Message).data)).toEqual(['m1', 'm2', 'm3']);
    expect(new Set(nonces).size).toBe(3);
    expect(p.stderr.join('\n')).not.toMatch(/REPLAYED_SIGN|already used/);
  });
});

describe('im-debug sign --strong', () => {
  it('--json gives a connect query and notify body the server accepts, once each', async () => {
    const c = cli(['sign', '--source', 'strict', '--sign-key', KEY, '--strong', '--rooms', 'a,b', '--user', 'ann', '--json']);
    expect((await c.exited).code).toBe(0);
    const report = JSON.parse(c.stdout[0]!) as {
      connect: { scheme: string; userid: string; sign: string; ts: string; nonce: string; query: string; auth: Record<string, string> };
    };
    const { connect } = report;
    expect(connect).toMatchObject({ scheme: 'strong', userid: 'ann', auth: { sign: connect.sign, sign_type: 'hmac-sha256', ts: connect.ts, nonce: connect.nonce } });
    expect(connect.sign).toBe(strongConnectSign(KEY, { source: 'strict', roomIds: 'a,b', userid: 'ann', ts: connect.ts, nonce: connect.nonce }));

    const open = () => io(`${server.url}?${connect.query}`, { transports: ['websocket'], forceNew: true, reconnection: false }) as TestSocket;
    const ok = open();
    sockets.push(ok);
    await once(ok, 'connect');
    expect(serverSocketOf('ann').data).toMatchObject({ signedWith: 'strong', rooms: ['a', 'b'] });
    // A strong sign is single-use: the same query again is a replay.
    const again = open();
    sockets.push(again);
    const err = await once<Error & { data?: { code: string } }>(again, 'connect_error');
    expect(err.data?.code).toBe('REPLAYED_SIGN');

    const n = cli(['sign', '--source', 'strict', '--sign-key', KEY, '--strong', '--room', 'a', '--data', 'hi', '--json']);
    expect((await n.exited).code).toBe(0);
    const { notify } = JSON.parse(n.stdout[0]!) as { notify: { sign: string; ts: string; nonce: string; body: string } };
    expect(notify.sign).toBe(strongNotifySign(KEY, { source: 'strict', roomId: 'a', data: 'hi', ts: notify.ts, nonce: notify.nonce }));
    const got = collectMessages(ok, 1);
    expect((await postForm(server.url, Object.fromEntries(new URLSearchParams(notify.body)))).body.code).toBe(1);
    expect((await got)[0]).toMatchObject({ room_id: 'a', data: 'hi' });
  });

  it('prints a readable table with the signed text, and keeps the legacy output by default', async () => {
    const s = cli(['sign', '--source', 'strict', '--sign-key', KEY, '--strong', '--rooms', 'r1', '--ts', '1764158400', '--nonce', 'fixed-nonce-01']);
    expect((await s.exited).code).toBe(0);
    const text = s.stdout.join('\n');
    const sign = strongConnectSign(KEY, { source: 'strict', roomIds: 'r1', userid: 'im-debug', ts: '1764158400', nonce: 'fixed-nonce-01' });
    expect(text).toContain(`connect sign   ${sign}  = HMAC-SHA256(key, "im-v2\\nconnect\\nstrict\\nr1\\nim-debug\\n1764158400\\nfixed-nonce-01")`);
    expect(text).toMatch(/connect fields sign_type=hmac-sha256 ts=1764158400 nonce=fixed-nonce-01/);
    expect(text).toMatch(/note {11}a strong sign is accepted once/);
    const legacy = cli(['sign', '--rooms', 'console-log']);
    expect((await legacy.exited).code).toBe(0);
    expect(legacy.stdout.filter((l) => l !== '')).toEqual([
      'source         remote_debug (key: the public demo key)',
      'connect sign   5b092ffd2f7bcd3eddc9a7655600a998  = md5(source + room_ids + key), room_ids "console-log"',
      'connect query  ?userid=1&username=me&source=remote_debug&room_ids=console-log&sign=5b092ffd2f7bcd3eddc9a7655600a998',
    ]);
  });
});
