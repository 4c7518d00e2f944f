import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { joinRoom } from '../../debug-viewer/connection';
import type { AckResult, HistoryRequest, HistoryResult, Message } from '../../packages/protocol';
import { legacyConnectSign, operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { createSocketLogStream } from '../../terminal-viewer/stream/log-stream';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { holdHandshakes } from '../helpers/hold-handshakes';
import { recordingClient } from '../helpers/sdk-client';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

/**
 * History answers are capped in bytes (limits.maxHistoryAnswerBytes) and carry a `next` cursor;
 * every client that reads history (the SDK's catch-up, /debug, im-debug tail) follows it.
 */

const CAP = 8 * 1024;
const KEY = DEMO_SOURCES.demo.signKey;
const COUNT = 100;
let server: TestServer;
let hold: ReturnType<typeof holdHandshakes>;
const closers: Array<() => void> = [];

/** JSON bytes of an answer's messages, as the server counts them (one separator each). */
const answerBytes = (messages: Message[]) => messages.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)) + 1, 0);
const body = (i: number) => ({ i, text: `第${i}条 ${'x'.repeat(400)}` });

beforeAll(async () => {
  server = await startServer({ limits: { maxHistoryAnswerBytes: CAP }, history: { size: 1000, maxAgeSeconds: 3600 } });
  hold = holdHandshakes(server);
  for (let i = 1; i <= COUNT; i++) await server.relay.publish('demo', ['archive'], body(i));
});
afterEach(() => {
  hold.release();
  for (const c of closers.splice(0)) c();
});
afterAll(() => server?.close());

async function reader(room: string): Promise<TestSocket> {
  const s = await connectClient(server.url, { roomIds: room, userid: `r-${room}` });
  closers.push(() => s.close());
  return s;
}

async function ask(s: TestSocket, request: HistoryRequest): Promise<HistoryResult> {
  const res = (await s.timeout(10_000).emitWithAck('history', request)) as AckResult<HistoryResult>;
  if (!res.ok) throw new Error(res.error.message);
  return res.result;
}

/** Follows the cursor from `first` until an answer has none; every answer is checked against the cap. */
async function readAll(s: TestSocket, first: HistoryRequest): Promise<{ messages: Message[]; answers: number }> {
  const messages: Message[] = [];
  let request: HistoryRequest | undefined = first;
  let answers = 0;
  while (request) {
    const result = await ask(s, request);
    answers++;
    expect(result.messages.length).toBeGreaterThan(0);
    if (result.messages.length > 1) expect(answerBytes(result.messages)).toBeLessThanOrEqual(CAP);
    messages.push(...result.messages);
    request = result.next;
    if (answers > COUNT) throw new Error('the cursor never ends');
  }
  return { messages, answers };
}

const numbers = (messages: Message[]) => messages.map((m) => (m.data as { i: number }).i);
const ALL = Array.from({ length: COUNT }, (_, i) => i + 1);

describe('history answers capped in bytes, with a cursor', () => {
  it('from a position: no answer over the cap, and following the cursor yields everything, in order', async () => {
    const s = await reader('archive');
    const latest = await ask(s, { room_id: 'archive', limit: 1 });
    const { messages, answers } = await readAll(s, { room_id: 'archive', since: 0, epoch: latest.epoch });
    expect(answers).toBeGreaterThan(3);
    expect(numbers(messages)).toEqual(ALL);
    expect(messages.map((m) => m.offset)).toEqual(ALL);
  });

  it('the newest N (limit) and a time read are cut the same way and read on from the cursor', async () => {
    const s = await reader('archive');
    const first = await ask(s, { room_id: 'archive', limit: COUNT });
    expect(first.next).toMatchObject({ room_id: 'archive', epoch: first.epoch });
    expect(numbers((await readAll(s, { room_id: 'archive', limit: COUNT })).messages)).toEqual(ALL);
    expect(numbers((await readAll(s, { room_id: 'archive', sinceTime: 0 })).messages)).toEqual(ALL);
  });

  it('a message larger than the cap still comes, alone, and the reader moves on', async () => {
    for (const size of [100, 3 * CAP, 100]) await server.relay.publish('demo', ['big'], { pad: 'y'.repeat(size) });
    const s = await reader('big');
    const latest = await ask(s, { room_id: 'big', limit: 1 });
    const { messages } = await readAll(s, { room_id: 'big', since: 0, epoch: latest.epoch });
    expect(messages.map((m) => (m.data as { pad: string }).pad.length)).toEqual([100, 3 * CAP, 100]);
  });

  it('GET /api/history is capped too and gives the cursor', async () => {
    const t = Math.floor(Date.now() / 1000);
    const url = `${server.url}/api/history?source=demo&room_id=archive&limit=${COUNT}&ts=${t}&sign=${operatorSign(KEY, 'history', 'demo', 'archive', t)}`;
    const res = await fetch(url);
    const json = (await res.json()) as { code: number; data: HistoryResult };
    expect(json.code).toBe(1);
    expect(json.data.messages.length).toBeLessThan(COUNT);
    expect(answerBytes(json.data.messages)).toBeLessThanOrEqual(CAP);
    expect(json.data.next).toMatchObject({ room_id: 'archive', since: json.data.messages.at(-1)!.offset });
  });
});

describe('clients follow the cursor', () => {
  it('the SDK catches up on more than one capped answer after a reconnect: all, in order, no gap', async () => {
    const { client, received: got, gaps } = recordingClient(server.url, 'catch', {}, 'sdk');
    closers.push(() => client.close());
    await until(() => client.state === 'connected', 10_000, 'connected');
    await server.relay.publish('demo', ['catch'], body(0));
    await until(() => got.length === 1, 10_000, 'first message');

    hold.cut('sdk');
    await until(() => hold.waiting() === 1, 10_000, 'reconnect held');
    for (let i = 1; i <= COUNT; i++) await server.relay.publish('demo', ['catch'], body(i));
    hold.release();
    await until(() => got.length === COUNT + 1, 20_000, `${COUNT + 1} messages`);
    expect(numbers(got)).toEqual([0, ...ALL]);
    expect(gaps).toEqual([]);
  });

  it('/debug (debug-viewer) shows the whole history on join, in order', async () => {
    const got: Message[] = [];
    const stop = joinRoom(
      { server: server.url, source: 'demo', room: 'archive', sign: legacyConnectSign('demo', 'archive', KEY) },
      { onMessages: (m) => got.push(...m), onStatus: () => undefined },
    );
    closers.push(stop);
    await until(() => got.length === COUNT, 20_000, `${COUNT} rows`);
    expect(numbers(got)).toEqual(ALL);
  });

  it('im-debug tail --tail N reads on past the cap', async () => {
    const got: Message[] = [];
    const stream = createSocketLogStream({ server: server.url, source: 'demo', rooms: ['archive'], sign: legacyConnectSign('demo', 'archive', KEY), tail: COUNT });
    closers.push(() => stream.close());
    stream.subscribe({ messages: (m) => got.push(...m) });
    await until(() => got.length === COUNT, 20_000, `${COUNT} lines`);
    expect(numbers(got)).toEqual(ALL);
  });
});

