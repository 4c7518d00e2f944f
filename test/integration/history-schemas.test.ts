import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ackSchema,
  errorPayloadSchema,
  historyAckSchema,
  historyCursorSchema,
  historyResultSchema,
  messageSchema,
} from '../../packages/protocol';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, openClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

/**
 * What a real server sends, parsed with the protocol's schemas made strict: a field the server
 * adds, renames or drops (in the relay's history answer, its messages, its cursor, or an ack)
 * without the schema in packages/protocol saying so fails here.
 */

const KEY = DEMO_SOURCES.demo.signKey;
const CAP = 2 * 1024;
const strictMessage = messageSchema.strict();
const strictResult = historyResultSchema.extend({ messages: z.array(strictMessage), next: historyCursorSchema.strict().optional() }).strict();
const strictAck = z.union([z.object({ ok: z.literal(true), result: strictResult }).strict(), historyAckSchema.options[1].strict()]);

let server: TestServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({ limits: { maxHistoryAnswerBytes: CAP }, history: { size: 1000, maxAgeSeconds: 3600 } });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(() => server?.close());

async function reader(rooms: string): Promise<TestSocket> {
  const s = await connectClient(server.url, { roomIds: rooms, userid: `schema-${rooms}` });
  sockets.push(s);
  return s;
}

describe('a real server\'s payloads match the protocol\'s schemas', () => {
  it('newMsg from postMsg and /api/notify, and the postMsg ack', async () => {
    const s = await reader('live');
    const got: unknown[] = [];
    s.on('newMsg', (m: unknown) => got.push(m));
    const ack: unknown = await s.timeout(5000).emitWithAck('postMsg', { text: 'hi' }, 'live');
    expect(ackSchema.parse(ack)).toEqual({ ok: true });
    await postForm(server.url, signedNotify('live', 'from a back end'));
    await until(() => got.length === 2, 10_000, 'two messages');
    const parsed = got.map((m) => strictMessage.parse(m));
    expect(parsed.map((m) => m.data)).toEqual([{ text: 'hi' }, 'from a back end']);
    for (const m of parsed) expect(m).toMatchObject({ source: 'demo', room_id: 'live', offset: expect.any(Number), epoch: expect.any(String), ts: expect.any(Number) });
  });

  it('the history ack over the socket, a capped answer with its cursor, and the cursor read on', async () => {
    for (let i = 0; i < 20; i++) await server.relay.publish('demo', ['paged'], { i, pad: 'x'.repeat(200) });
    const s = await reader('paged');
    const newest = strictAck.parse(await s.timeout(5000).emitWithAck('history', { room_id: 'paged', limit: 1 }));
    if (!newest.ok) throw new Error(newest.error.message);
    const first = strictAck.parse(await s.timeout(5000).emitWithAck('history', { room_id: 'paged', since: 0, epoch: newest.result.epoch, limit: 50 }));
    if (!first.ok) throw new Error(first.error.message);
    expect(first.result.next).toBeDefined();
    expect(first.result.messages.length).toBeGreaterThan(0);
    const more = strictAck.parse(await s.timeout(5000).emitWithAck('history', first.result.next!));
    expect(more.ok && more.result.messages[0]?.offset).toBe(first.result.next!.since + 1);
  });

  it('a refused history request is an ack error with one of the codes', async () => {
    const s = await reader('mine');
    const refused = strictAck.parse(await s.timeout(5000).emitWithAck('history', { room_id: 'not-mine' }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const invalid = strictAck.parse(await s.timeout(5000).emitWithAck('history', { room_id: 'mine', since: -1 } as never));
    expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER', message: expect.stringMatching(/^history request: since: /) } });
  });

  it('GET /api/history answers the same result as data', async () => {
    await server.relay.publish('demo', ['http'], 'one');
    const t = Math.floor(Date.now() / 1000);
    const res = await fetch(`${server.url}/api/history?source=demo&room_id=http&limit=5&ts=${t}&sign=${operatorSign(KEY, 'history', 'demo', 'http', t)}`);
    const body = (await res.json()) as { data: unknown };
    expect(strictResult.parse(body.data)).toMatchObject({ room_id: 'http', truncated: false, messages: [{ data: 'one' }] });
  });

  it('a refused handshake carries the error payload in connect_error.data', async () => {
    const s = openClient(server.url, { roomIds: 'x', sign: 'wrong' });
    sockets.push(s);
    const data = await new Promise<unknown>((resolve) => s.on('connect_error', (err: Error & { data?: unknown }) => resolve(err.data)));
    expect(errorPayloadSchema.strict().parse(data)).toMatchObject({ code: 'BAD_SIGN' });
  });
});

