import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../packages/protocol';
import { legacyConnectSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { holdHandshakes } from '../helpers/hold-handshakes';
import { recordingClient } from '../helpers/sdk-client';
import { RawSocket } from '../helpers/raw-socket';
import { IN_CI } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

/**
 * Socket.IO's connection state recovery is off (issue 13, findings 2, 3 and 8): a session id
 * (`pid`, `offset` in the CONNECT packet) buys nothing, broadcasts carry one argument, and a
 * client that reconnects catches up from history, checked like any request.
 */

const KEY = DEMO_SOURCES.demo.signKey;
let server: TestServer;
const closers: Array<() => void> = [];

let hold: ReturnType<typeof holdHandshakes>;
beforeAll(async () => {
  server = await startServer();
  hold = holdHandshakes(server);
});
afterEach(() => {
  for (const c of closers.splice(0)) c();
});
afterAll(() => server?.close());

function query(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function readerQuery(rooms: string, userid: string, sign = legacyConnectSign('demo', rooms, KEY)): string {
  return query({ userid, username: userid, source: 'demo', room_ids: rooms, sign, ext_info: '' });
}

async function open(rawQuery: string): Promise<RawSocket> {
  const raw = await RawSocket.open(server.url, rawQuery);
  closers.push(() => raw.close());
  return raw;
}

/** A raw reader of `rooms`: its CONNECT answer, then its packets. */
async function rawReader(rooms: string, userid: string): Promise<{ raw: RawSocket; sid: string; connected: string }> {
  const raw = await open(readerQuery(rooms, userid));
  raw.send('0');
  const connected = (await raw.nextReply())!;
  expect(connected).toMatch(/^0\{/);
  return { raw, sid: (JSON.parse(connected.slice(1)) as { sid: string }).sid, connected };
}

/** The next newMsg event of a raw socket, parsed (all its arguments). */
async function nextEvent(raw: RawSocket): Promise<unknown[]> {
  for (;;) {
    const p = await raw.next();
    if (p === undefined) throw new Error('closed');
    if (p.startsWith('2')) return JSON.parse(p.slice(1)) as unknown[];
  }
}

const newMsgFrames = (raw: RawSocket) => raw.received.filter((p) => p.startsWith('2["newMsg"'));

describe('connection state recovery is off', () => {
  it('the CONNECT answer carries no session id to steal, and a broadcast newMsg has exactly one argument', async () => {
    const { raw, connected } = await rawReader('plain', 'r1');
    expect(Object.keys(JSON.parse(connected.slice(1)) as object)).toEqual(['sid']);
    await server.relay.publish('demo', ['plain'], { text: '你好' });
    const event = await nextEvent(raw);
    expect(event).toHaveLength(2);
    expect(event[0]).toBe('newMsg');
    expect(event[1]).toMatchObject({ source: 'demo', room_id: 'plain', data: { text: '你好' }, offset: 1 });
  });

  it("a reader's pid and offset in a CONNECT with a wrong sign get nothing but the refusal", async () => {
    const reader = await rawReader('secret-a', 'victim');
    await server.relay.publish('demo', ['secret-a'], 'before');
    const before = (await nextEvent(reader.raw))[1] as Message;

    const attacker = await open(readerQuery('secret-a', 'victim', 'wrong-sign'));
    // As an attacker crafts it: the victim's session id and the offset of what it last saw.
    attacker.send(`0${JSON.stringify({ pid: reader.sid, offset: `${before.offset}-0`, sign: 'wrong-sign' })}`);
    const refusal = await attacker.nextReply();
    expect(refusal).toMatch(/^4\{/);
    expect(JSON.parse(refusal!.slice(1))).toMatchObject({ message: 'sign verify failed!' });

    // Messages sent after the refusal reach the reader, never the attacker.
    for (const text of ['m1', 'm2', 'm3']) await server.relay.publish('demo', ['secret-a'], text);
    for (const text of ['m1', 'm2', 'm3']) expect(((await nextEvent(reader.raw))[1] as Message).data).toBe(text);
    expect(newMsgFrames(attacker)).toEqual([]);
    // And a second try with the same pid fares the same.
    attacker.send(`0${JSON.stringify({ pid: reader.sid, offset: `${before.offset}-0` })}`);
    expect(await attacker.nextReply()).toMatch(/^4\{.*sign verify failed!/);
    expect(newMsgFrames(attacker)).toEqual([]);
  });

  it("the same pid inside an unsigned hook handshake (source remote_debug) gets none of the reader's rooms", async () => {
    const reader = await rawReader('secret-b', 'victim2');
    await server.relay.publish('demo', ['secret-b'], 'before');
    const before = (await nextEvent(reader.raw))[1] as Message;

    const hook = await open(query({ source: 'remote_debug', room_ids: 'console-log', role: 'publisher', userid: 'hook', username: 'hook' }));
    hook.send(`0${JSON.stringify({ pid: reader.sid, offset: `${before.offset}-0` })}`);
    const connected = await hook.nextReply();
    expect(connected).toMatch(/^0\{"sid":"[^"]+"\}$/);
    const hookSid = (JSON.parse(connected!.slice(1)) as { sid: string }).sid;
    const hookSocket = server.io.of('/').sockets.get(hookSid)!;
    expect(hookSocket.data).toMatchObject({ source: 'remote_debug', canRead: false, rooms: [] });
    expect([...hookSocket.rooms]).toEqual([hookSid]);

    for (const text of ['m1', 'm2']) await server.relay.publish('demo', ['secret-b'], text);
    for (const text of ['m1', 'm2']) expect(((await nextEvent(reader.raw))[1] as Message).data).toBe(text);
    expect(newMsgFrames(hook)).toEqual([]);
  });

  it('the SDK reconnecting after a dropped transport gets what it missed from history, in order, once', async () => {
    const { client, received: got, gaps } = recordingClient(server.url, 'missed', {}, 'sdk');
    closers.push(() => client.close());
    await until(() => client.state === 'connected', 10_000, 'connected');
    await server.relay.publish('demo', ['missed'], 1);
    await until(() => got.length === 1, 10_000, 'first message');

    // Cut the transport and publish before the SDK is back.
    hold.cut('sdk');
    await until(() => hold.waiting() === 1, 10_000, 'the reconnect waiting in the handshake');
    for (let i = 2; i <= 5; i++) await server.relay.publish('demo', ['missed'], i);
    hold.release();
    await until(() => got.length === 5, 10_000, 'all five');
    expect(got.map((m) => m.data)).toEqual([1, 2, 3, 4, 5]);
    expect(gaps).toEqual([]);
  });
});

describe('recovery keys', () => {
  it('still parse, and the server warns at start-up that they do nothing', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const s = await startServer({ recovery: { maxDisconnectionSeconds: 120 } }, { logger: pino({ level: 'warn' }, sink) });
    await s.close();
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.some((w) => /recovery\.maxDisconnectionSeconds no longer does anything/.test(w.msg))).toBe(true);

    const quiet: string[] = [];
    const s2 = await startServer({}, { logger: pino({ level: 'warn' }, new Writable({ write: (c, _e, cb) => (quiet.push(String(c)), cb()) })) });
    await s2.close();
    expect(quiet.join('')).not.toMatch(/recovery/);
  });
});

/** Debian's python3 with python3-socketio (pyenv shims may shadow it on PATH). */
function pythonWithSocketio(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import socketio, websocket, requests'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

const PYTHON = pythonWithSocketio();
if (!PYTHON) {
  const msg = 'python3-socketio (with python3-websocket, python3-requests) is not installed: apt-get install -y python3-socketio python3-websocket python3-requests';
  if (IN_CI) throw new Error(msg);
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPED: ${msg}\n${'!'.repeat(78)}\n\n`);
}

const PY_CLIENT = `
import json, sys, threading
import socketio

url, transport = sys.argv[1], sys.argv[2]
sio = socketio.Client(reconnection=False)
lock = threading.Lock()

def say(obj):
    # Handlers run on threads of their own: one whole line at a time.
    with lock:
        sys.stdout.write(json.dumps(obj) + '\\n')
        sys.stdout.flush()

# Written as python-socketio's documentation writes a handler: one argument.
@sio.on('newMsg')
def on_new_msg(message):
    say({'event': 'newMsg', 'message': message})

@sio.event
def connect():
    say({'event': 'connect'})

@sio.event
def connect_error(data):
    say({'event': 'connect_error', 'data': str(data)})

sio.connect(url, transports=[transport])
sio.wait()
`;

describe.skipIf(!PYTHON)('python-socketio 5 with one-argument handlers', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it.each(['websocket', 'polling'])('receives every message over %s', async (transport) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-py-'));
    const script = path.join(dir, 'client.py');
    writeFileSync(script, PY_CLIENT);
    const room = `py-${transport}`;
    const url = `${server.url}?${readerQuery(room, `py-${transport}`)}`;
    const child = spawn(PYTHON!, [script, url, transport], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const events: Array<{ event: string; message?: Message; data?: string }> = [];
    const stderr: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        events.push(JSON.parse(line));
      } catch {
        stderr.push(`unreadable stdout line: ${line}`);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
    /** Waits like `until`, and says what python wrote to stderr when it times out. */
    const waitFor = async (check: () => boolean, what: string) => {
      try {
        await until(check, 20_000, what);
      } catch (err) {
        throw new Error(`${(err as Error).message}; python stderr:\n${stderr.join('\n')}`);
      }
    };

    await waitFor(() => events.some((e) => e.event === 'connect' || e.event === 'connect_error'), 'the python client to connect');
    expect(events.filter((e) => e.event === 'connect_error')).toEqual([]);
    const sent = Array.from({ length: 20 }, (_, i) => ({ n: i + 1, text: `消息 ${i + 1}` }));
    const got = () => events.filter((e) => e.event === 'newMsg').length;
    if (transport === 'websocket') {
      for (const data of sent) await server.relay.publish('demo', [room], data);
    } else {
      // python-engineio 4.3 (Debian's) refuses a polling payload of more than 16 packets
      // (Payload.max_decode_packets) and disconnects: one message per poll here (README).
      for (const [i, data] of sent.entries()) {
        await server.relay.publish('demo', [room], data);
        await waitFor(() => got() === i + 1, `message ${i + 1} in python`);
      }
    }
    await waitFor(() => got() === sent.length, '20 messages in python');
    // python-engineio hands each message to the handler on a thread of its own, so the order
    // of the lines is python's; every message must be there, each once.
    const received = events
      .filter((e) => e.event === 'newMsg')
      .map((e) => e.message!)
      .sort((a, b) => a.offset! - b.offset!);
    expect(received.map((m) => m.data)).toEqual(sent);
    expect(received.map((m) => m.offset)).toEqual(sent.map((d) => d.n));
    expect(stderr.join('\n')).not.toMatch(/TypeError|positional argument/);
  });
});
