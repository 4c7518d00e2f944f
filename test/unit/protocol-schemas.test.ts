import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { createCatchUp } from '../../packages/client';
import {
  ackErrorSchema,
  ackResultSchema,
  ackSchema,
  asMessage,
  clientInfoSchema,
  errorPayloadSchema,
  historyAckSchema,
  historyQuerySchema,
  historyRequestSchema,
  historyResultSchema,
  ImError,
  messageSchema,
  noticePayloadSchema,
  pageViewSchema,
  postLogsEntriesSchema,
  readHistoryAck,
  toImError,
  zodMessage,
  type AckResult,
  type ErrorPayload,
  type HistoryRequest,
  type HistoryResult,
  type Message,
  type NoticePayload,
} from '../../packages/protocol';

/**
 * Each wire payload's schema (packages/protocol) accepts what the server and the SDK send today
 * and refuses a wrong one with a message that names the field. A real server's answers are
 * parsed in test/integration/history-schemas.test.ts.
 */

/** The zod message of a refused value (fails the test when the value is accepted). */
function refusal(schema: z.ZodType, value: unknown): string {
  const parsed = schema.safeParse(value);
  expect(parsed.success).toBe(false);
  return parsed.success ? '' : zodMessage(parsed.error);
}

// As server/relay/relay.ts builds them: the plain message, and the one the history store kept.
const plain = { source: 'demo', data: { text: 'hi' }, room_id: 'r1', ts: 1_700_000_000_000 };
const stored = { ...plain, offset: 7, epoch: 'e-1a2b' };

describe('messageSchema (newMsg, history messages)', () => {
  it('accepts the messages the relay emits, with or without a position, and keeps fields it does not name', () => {
    expect(messageSchema.parse(plain)).toEqual(plain);
    expect(messageSchema.parse(stored)).toEqual(stored);
    expect(messageSchema.parse({ ...stored, via: 'newer-server' })).toMatchObject({ via: 'newer-server' });
    // /api/notify delivers data as the signed string, the legacy quit notice an object.
    expect(messageSchema.safeParse({ source: 'demo', data: 'text', room_id: 'r1' }).success).toBe(true);
  });

  it('refuses a message without a room, naming the field', () => {
    expect(refusal(messageSchema, { source: 'demo', data: 1 })).toMatch(/^room_id: .*expected string/);
    expect(refusal(messageSchema, { ...stored, offset: '7' })).toMatch(/^offset: .*expected number/);
  });

  it('asMessage keeps a message as received and wraps anything else as a plain message', () => {
    expect(asMessage(stored)).toBe(stored);
    expect(asMessage('just text')).toEqual({ source: '', room_id: '', data: 'just text' });
  });

  it('Message<T> types data and has no index signature (a misspelt field does not compile)', () => {
    const m: Message<{ text: string }> = { ...stored, data: { text: 'hi' } };
    expectTypeOf(m.data.text).toEqualTypeOf<string>();
    expectTypeOf(m.offset).toEqualTypeOf<number | undefined>();
    // @ts-expect-error not a field of Message
    void m.ofset;
    expectTypeOf(messageSchema.parse(stored)).toMatchTypeOf<Message>();
  });
});

describe('historyRequestSchema', () => {
  it('accepts every request the SDK catch-up sends (position, first read, baseline, next page)', () => {
    const withInitial = createCatchUp(['a'], { initial: { limit: 500, sinceTime: 1_700_000_000_000 } }).begin();
    const baseline = createCatchUp(['a']);
    const first = baseline.begin();
    baseline.page({ room_id: 'a', epoch: 'e1', messages: [{ ...stored, room_id: 'a', offset: 3, epoch: 'e1' }], truncated: false }, baseline.round);
    const again = baseline.begin();
    const requests: HistoryRequest[] = [...withInitial, ...first, ...again];
    expect(requests).toEqual([
      { room_id: 'a', limit: 500, sinceTime: 1_700_000_000_000 },
      { room_id: 'a', limit: 1 },
      { room_id: 'a', since: 3, epoch: 'e1' },
    ]);
    for (const r of requests) expect(historyRequestSchema.parse(r)).toEqual(r);
  });

  it('refuses bad values and unknown keys, naming them', () => {
    expect(refusal(historyRequestSchema, { room_id: 'a', since: -1 })).toMatch(/^since: .*>=0/);
    expect(refusal(historyRequestSchema, { room_id: 'a', limit: 0 })).toMatch(/^limit: /);
    expect(refusal(historyRequestSchema, { room_id: '' })).toMatch(/^room_id: /);
    expect(refusal(historyRequestSchema, { room_id: 'a', offset: 3 })).toMatch(/offset/);
  });
});

describe('historyQuerySchema (GET /api/history)', () => {
  it('reads the query text as the socket request: numbers from digits, empty fields absent', () => {
    expect(historyQuerySchema.parse({ room_id: 'feed', since: '5', epoch: 'e1', sinceTime: '', limit: '2' })).toEqual({ room_id: 'feed', since: 5, epoch: 'e1', limit: 2 });
    expect(historyQuerySchema.parse({ room_id: 'feed', since: '', epoch: '', sinceTime: '1700000000000.5', limit: '' })).toEqual({ room_id: 'feed', sinceTime: 1_700_000_000_000.5 });
  });

  it('refuses what the socket request refuses, with the field named', () => {
    expect(refusal(historyQuerySchema, { room_id: 'feed', since: 'abc' })).toBe('since: must be a number ≥ 0');
    expect(refusal(historyQuerySchema, { room_id: 'feed', since: '-1' })).toBe('since: must be a number ≥ 0');
    expect(refusal(historyQuerySchema, { room_id: 'feed', since: '1.5' })).toMatch(/^since: .*int/);
    expect(refusal(historyQuerySchema, { room_id: 'feed', limit: '0' })).toMatch(/^limit: /);
  });
});

// As relay.ts answers a capped read from a position.
const result: HistoryResult = { room_id: 'r1', epoch: 'e-1a2b', messages: [stored], truncated: false, next: { room_id: 'r1', since: 7, epoch: 'e-1a2b', limit: 500 } };

describe('historyResultSchema and historyAckSchema', () => {
  it('accept the answer as the relay builds it and as the socket layer acks it', () => {
    expect(historyResultSchema.parse(result)).toEqual(result);
    expect(historyResultSchema.parse({ ...result, next: undefined, truncated: true })).toMatchObject({ truncated: true });
    expect(historyAckSchema.parse({ ok: true, result })).toEqual({ ok: true, result });
    expect(historyAckSchema.parse({ ok: false, error: new ImError('FORBIDDEN', 'not a reader of room r1').toJSON() })).toMatchObject({ ok: false });
  });

  it('refuse an answer without its epoch, or a cursor without a position', () => {
    const { epoch: _, ...noEpoch } = result;
    expect(refusal(historyResultSchema, noEpoch)).toMatch(/^epoch: .*expected string/);
    expect(refusal(historyResultSchema, { ...result, next: { room_id: 'r1', epoch: 'e' } })).toMatch(/^next\.since: /);
    expect(refusal(historyResultSchema, { ...result, messages: [{ data: 1 }] })).toMatch(/^messages\.0\.source: /);
  });

  it('readHistoryAck (the viewers\' reader) keeps an odd message as a plain one, and says undefined for a non-answer', () => {
    const ack = readHistoryAck({ ok: true, result: { ...result, messages: [stored, 'odd'] } });
    expect(ack).toEqual({ ok: true, result: { ...result, messages: [stored, { source: '', room_id: '', data: 'odd' }] } });
    expect(readHistoryAck({ ok: false, error: { code: 'RATE_LIMITED', message: 'retry' } })).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'retry' } });
    expect(readHistoryAck(undefined)).toBeUndefined();
    expect(readHistoryAck({ ok: true, result: { room_id: 'r1' } })).toBeUndefined();
  });

  it('the types are the schemas\' (compile-time)', () => {
    expectTypeOf<z.infer<typeof historyAckSchema>>().toMatchTypeOf<AckResult<HistoryResult>>();
    expectTypeOf<z.infer<typeof historyResultSchema>>().toMatchTypeOf<HistoryResult>();
    expectTypeOf<z.infer<typeof historyRequestSchema>>().toEqualTypeOf<HistoryRequest>();
  });
});

describe('acks and the error payload', () => {
  // As the socket layer answers (guarded): no result, a result, or the error's toJSON().
  const refused = { ok: false, error: toImError(new ImError('DATA_REQUIRED', 'data can not be null!')).toJSON() };

  it('accept the answers the server gives', () => {
    expect(ackSchema.parse({ ok: true })).toEqual({ ok: true });
    expect(ackSchema.parse(refused)).toEqual(refused);
    expect(ackSchema.parse({ ok: false, error: toImError(new Error('boom')).toJSON() })).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal server error' } });
    expect(ackResultSchema(clientInfoSchema).parse({ ok: true, result: { url: 'https://a.example/' } })).toEqual({ ok: true, result: { url: 'https://a.example/' } });
  });

  it('read a code this version does not know (a newer server\'s) as INTERNAL, keeping the message', () => {
    expect(errorPayloadSchema.parse({ code: 'NEWER_CODE', message: 'what the server said' })).toEqual({ code: 'INTERNAL', message: 'what the server said' });
    expect(ackSchema.parse({ ok: false, error: { code: 'NEWER_CODE', message: 'm' } })).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'm' } });
  });

  it('refuse a missing message, naming the field', () => {
    expect(refusal(ackErrorSchema, { ok: false, error: { code: 'FORBIDDEN' } })).toMatch(/^error\.message: /);
    expect(ackSchema.safeParse({ ok: 'yes' }).success).toBe(false);
  });

  it('AckResult, AckError and ErrorPayload are the schemas\' types (compile-time)', () => {
    expectTypeOf<z.infer<typeof ackSchema>>().toEqualTypeOf<AckResult>();
    expectTypeOf<z.infer<ReturnType<typeof ackResultSchema<typeof clientInfoSchema>>>>().toEqualTypeOf<AckResult<z.infer<typeof clientInfoSchema>>>();
    expectTypeOf<z.infer<typeof errorPayloadSchema>>().toEqualTypeOf<ErrorPayload>();
    expectTypeOf<ErrorPayload['code']>().toEqualTypeOf<ImError['code']>();
  });
});

describe('sys_notice, postLogs, clientInfo and pageView payloads', () => {
  it('noticePayloadSchema accepts the SLOW_CONSUMER notice (server/socket/slow-consumers.ts) and refuses another code', () => {
    const notice: NoticePayload = { code: 'SLOW_CONSUMER', message: 'the previous connection was closed because it did not read what the server sent it' };
    expect(noticePayloadSchema.parse(notice)).toEqual(notice);
    expect(refusal(noticePayloadSchema, { code: 'FORBIDDEN', message: 'x' })).toMatch(/^code: .*SLOW_CONSUMER/);
  });

  it('postLogsEntriesSchema takes 1 to 100 entries', () => {
    const entry = { kind: 'log', v: 1, level: 'info', method: 'info', args: ['x'], ts: 1, seq: 1, session: 's', origin: 'node' };
    expect(postLogsEntriesSchema.parse([entry])).toEqual([entry]);
    expect(refusal(postLogsEntriesSchema, [])).toMatch(/^value: .*>=1/);
    expect(refusal(postLogsEntriesSchema, Array(101).fill(entry))).toMatch(/^value: .*<=100/);
  });

  it('pageViewSchema refuses a view without its url', () => {
    expect(pageViewSchema.parse({ url: 'https://a.example/x', nav: 'push' })).toEqual({ url: 'https://a.example/x', nav: 'push' });
    expect(refusal(pageViewSchema, { nav: 'push' })).toMatch(/^url: /);
  });
});
