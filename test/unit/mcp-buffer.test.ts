import { describe, expect, it } from 'vitest';
import type { LogEntry, Message } from '../../packages/protocol';
import { createLogBuffer } from '../../terminal-viewer/mcp/buffer';
import { MAX_RESULT_BYTES, cleanJson, cleanText, cut, entryDetail, entryFields, entryLine } from '../../terminal-viewer/mcp/format';
import { compileQuery } from '../../terminal-viewer/mcp/query';
import { fitNewest } from '../../terminal-viewer/mcp/tool-results';
import { createRelayFeed, MAX_NOTICES } from '../../terminal-viewer/mcp/feed';
import { createManualStream } from '../../terminal-viewer/stream/manual-stream';

let seq = 0;
function log(over: Partial<LogEntry> = {}): LogEntry {
  return { kind: 'log', v: 1, level: 'log', method: 'log', args: ['hello'], ts: 1_800_000_000_000 + seq, seq: ++seq, session: 'tab-aaaa1111', origin: 'browser', ...over };
}
const COMMON = { v: 1, ts: 1_800_000_000_000, seq: 1, session: 'tab-net', origin: 'browser', page: { url: 'https://shop.example/cart' } } as const;
const NET = { kind: 'network', ...COMMON, level: 'error', type: 'fetch', method: 'GET', url: 'https://api.example/cart', status: 503, start: 1_800_000_000_000, duration: 120, responseSize: 20, responseHeaders: { 'content-type': 'text/plain' } };
const PERF = { kind: 'performance', ...COMMON, seq: 2, level: 'info', metric: 'LCP', value: 1234.5, rating: 'needs-improvement', detail: { element: 'img#hero' } };
function msg(data: unknown, room = 'console-log'): Message {
  return { source: 'remote_debug', room_id: room, data };
}

describe('mcp buffer', () => {
  it('keeps the newest entries, drops (and counts) the oldest past its capacity, finds kept ids', () => {
    const b = createLogBuffer({ capacity: 3 });
    b.push([1, 2, 3, 4, 5].map((i) => msg(log({ args: [`n${i}`] }))), 'live');
    expect(b.size).toBe(3);
    expect(b.evicted).toBe(2);
    expect([b.oldestId, b.newestId]).toEqual([3, 5]);
    expect(b.get(2)).toBeUndefined();
    expect(b.get(4)?.view.summary).toBe('n4');
    expect(b.get(6)).toBeUndefined();
    expect(b.get(3.5)).toBeUndefined();
    const { entries, matched } = b.newest(() => true, 2);
    expect(entries.map((e) => e.id)).toEqual([4, 5]);
    expect(matched).toBe(3);
    expect(b.firstAfter(3, () => true)?.id).toBe(4);
    expect(b.firstAfter(0, (e) => e.view.summary === 'n5')?.id).toBe(5);
  });

  it('summarises sessions (page, user agent, first/last seen, counts per level) and bounds how many it keeps', () => {
    const b = createLogBuffer({ capacity: 10, maxSessions: 2 });
    b.push([msg(log({ session: 's1', level: 'warn', ts: 10, page: { url: 'https://shop.example/cart', title: 'Cart' }, userAgent: 'UA-1' }))], 'history');
    b.push([msg(log({ session: 's1', level: 'error', ts: 20 })), msg('a plain notify string')], 'live');
    const s1 = b.sessions().find((s) => s.session === 's1')!;
    expect(s1).toMatchObject({ pageUrl: 'https://shop.example/cart', pageTitle: 'Cart', userAgent: 'UA-1', firstSeen: 10, lastSeen: 20, entries: 2, origin: 'browser' });
    expect(s1.counts).toEqual({ debug: 0, log: 0, info: 0, warn: 1, error: 1 });
    expect(b.plainCount).toBe(1);
    b.push([msg(log({ session: 's2' })), msg(log({ session: 's3' }))], 'live');
    expect(b.sessions().map((s) => s.session)).toEqual(['s2', 's3']);
  });

  it('tells kinds apart: console, error (uncaught, rejections, failed loads), network, performance, plain', () => {
    const kind = (data: unknown) => createLogBuffer().push([msg(data)], 'live')[0]!.kind;
    expect(kind(log({ method: 'error', level: 'error' }))).toBe('console');
    expect(kind(log({ method: 'onerror', level: 'error' }))).toBe('error');
    expect(kind(log({ method: 'unhandledrejection', level: 'error' }))).toBe('error');
    expect(kind(log({ method: 'resource', level: 'error' }))).toBe('error');
    expect(kind(JSON.stringify(log({ method: 'onerror' })))).toBe('error');
    expect(kind(NET)).toBe('network');
    expect(kind(PERF)).toBe('performance');
    expect(kind('just text')).toBe('plain');
    expect(kind({ ...NET, v: 2 })).toBe('plain');
  });

  it('network and performance entries: their own line, level and session', () => {
    const b = createLogBuffer();
    const [net, perf] = b.push([msg(NET), msg(PERF)], 'live');
    expect(net).toMatchObject({ level: 'error', session: 'tab-net', text: 'GET 503 https://api.example/cart 120ms 20B' });
    expect(perf).toMatchObject({ level: 'info', text: 'LCP 1234.5ms needs-improvement element=img#hero' });
    expect(b.sessions()[0]).toMatchObject({ session: 'tab-net', entries: 2, counts: { error: 1, info: 1 } });
  });

  it('notifies listeners of each new entry', () => {
    const b = createLogBuffer({ capacity: 2 });
    const seen: number[] = [];
    const off = b.onEntry((e) => seen.push(e.id));
    b.push([msg('a'), msg('b')], 'live');
    off();
    b.push([msg('c')], 'live');
    expect(seen).toEqual([1, 2]);
  });
});

describe('mcp query', () => {
  const b = createLogBuffer({ capacity: 100 });
  b.push(
    [
      msg(log({ session: 'aaaa-1', level: 'debug', args: ['debug details'], ts: 1000 })),
      msg(log({ session: 'aaaa-2', level: 'warn', args: ['Timeout after 3 s'], ts: 2000 })),
      msg(log({ session: 'bbbb-1', level: 'error', method: 'onerror', args: ['Uncaught TypeError: x is undefined'], ts: 3000 })),
      msg('plain text from a back end'),
    ],
    'live',
  );
  const ids = (input: Parameters<typeof compileQuery>[0]) => b.newest(compileQuery(input, b, { now: 10_000 }).test, 100).entries.map((e) => e.id);

  it('filters by lowest level, text (case-insensitive), /regex/flags, kind, since and after_id', () => {
    expect(ids({})).toEqual([1, 2, 3, 4]);
    expect(ids({ level: 'warn' })).toEqual([2, 3]);
    expect(ids({ text: 'TIMEOUT' })).toEqual([2]);
    expect(ids({ text: '/type(error)?:/i' })).toEqual([3]);
    // Real flags make an expression; a URL path such as /api/missing is searched as text.
    expect(ids({ text: '/after 3/s' })).toEqual([2]);
    expect(compileQuery({ text: '/api/missing' }, b, { now: 0 }).notes[0]).toMatch(/searched as text/);
    expect(ids({ kind: 'error' })).toEqual([3]);
    expect(ids({ kind: ['plain', 'console'] })).toEqual([1, 2, 4]);
    // A plain message's time is when it arrived (now), a log entry's the producer's ts.
    expect(ids({ since: '1970-01-01T00:00:02Z' })).toEqual([2, 3, 4]);
    expect(ids({ since: '8s', kind: 'console' })).toEqual([2]);
    expect(ids({ after_id: 2 })).toEqual([3, 4]);
  });

  it('takes a session id or an unambiguous start of one; unknown or ambiguous ones are errors that say what is known', () => {
    expect(ids({ session: 'bbbb-1' })).toEqual([3]);
    const q = compileQuery({ session: 'bbbb' }, b, { now: 0 });
    expect(q.session).toBe('bbbb-1');
    expect(() => compileQuery({ session: 'aaaa' }, b, { now: 0 })).toThrow(/ambiguous.*"aaaa-1", "aaaa-2"/);
    expect(() => compileQuery({ session: 'zzzz' }, b, { now: 0 })).toThrow(/unknown session "zzzz" \(3 sessions seen.*list_sessions/);
    expect(compileQuery({ session: 'zzzz' }, b, { now: 0, allowUnknownSession: true }).notes[0]).toMatch(/has not logged anything yet/);
  });

  it('rejects a bad regular expression and a bad time with clear messages', () => {
    expect(() => compileQuery({ text: '/(unclosed/' }, b, { now: 0 })).toThrow(/^invalid regular expression \/\(unclosed\/: Unterminated group \(give plain text/);
    expect(() => compileQuery({ since: 'yesterday' }, b, { now: 0 })).toThrow(/since "yesterday": give a duration/);
  });
});

describe('mcp formatting', () => {
  it('removes terminal escape sequences, shows other control characters and bidi overrides as escapes', () => {
    expect(cleanText('\u001b[31mred\u001b[0m \u001b]0;title\u0007ok\u0007 \u009b2J')).toBe('red ok\\x07 ');
    expect(cleanText('a\u202eevil\u202c b\tc\nd')).toBe('a\\u202eevil\\u202c b  c↵d');
    expect(cleanText('line1\r\nline2', { multiline: true })).toBe('line1\nline2');
    // The viewer's own sanitizer turns ESC into a visible \x1b: such colour codes go too.
    expect(cleanText('\\x1b[1;31mbold\\x1b[0m')).toBe('bold');
    expect(cleanText('\\x1b]0;owned\\x07title \\x1bMup')).toBe('title up');
  });

  it('cuts long values and says their original length', () => {
    expect(cut('abcdef', 10)).toBe('abcdef');
    expect(cut('x'.repeat(20_000), 100)).toBe(`${'x'.repeat(100)}… [cut: 20000 chars in all]`);
    const cleaned = cleanJson({ s: `\u001b[2J${'y'.repeat(9000)}`, list: Array.from({ length: 150 }, (_, i) => i) }) as { s: string; list: unknown[] };
    expect(cleaned.s).toMatch(/^y+… \[cut: 9000 chars in all\]$/);
    expect(cleaned.list).toHaveLength(101);
    expect(cleaned.list.at(-1)).toBe('[… 50 more items]');
  });

  it('one line per entry, page text cleaned, no control characters left', () => {
    const b = createLogBuffer();
    const [e] = b.push([msg(log({ level: 'error', args: ['\u001b[31mboom\u001b[0m\u0007'], callSite: { file: 'https://shop.example/js/app.js', line: 3, col: 9 } }))], 'live');
    const f = entryFields(e!);
    const line = entryLine(f, false);
    expect(line).toMatch(/^#1 2027-\S+Z ERR \[tab-aaaa\] boom\\x07 \(js\/app\.js:3:9\)$/);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('a list of huge entries stays within the result bound, newest kept', () => {
    const b = createLogBuffer();
    const entries = b.push(Array.from({ length: 100 }, (_, i) => msg(log({ args: [`${i} ${'z'.repeat(30_000)}`] }))), 'live');
    const fields = entries.map((e) => entryFields(e));
    expect(fields[0]!.text).toMatch(/… \[cut: \d+ chars in all\]$/);
    const fit = fitNewest(fields, false, 40_000);
    expect(fit.kept.length).toBeGreaterThan(0);
    expect(fit.kept.length).toBeLessThan(100);
    expect(fit.kept.at(-1)!.id).toBe(100);
    expect(fit.left).toBe(100 - fit.kept.length);
    expect(Buffer.byteLength(JSON.stringify(fit)) / 2).toBeLessThan(40_000);
  });

  it('a full entry with huge arguments, stack and details stays within its byte budget', () => {
    const b = createLogBuffer();
    const big = '漢'.repeat(20_000);
    const data = {
      ...log({ level: 'error', args: Array.from({ length: 100 }, () => ({ k: big })), stack: `Error\n${'    at f (app.js:1:1)\n'.repeat(500)}` }),
      network: { url: `https://api.example/${big}`, headers: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}`, big])) },
    };
    const [e] = b.push([msg(data)], 'live');
    const budget = MAX_RESULT_BYTES / 2;
    const d = entryDetail(e!, budget);
    expect(Buffer.byteLength(JSON.stringify(d))).toBeLessThanOrEqual(budget);
    expect(d.raw).toMatch(/\[cut: \d+ chars in all\]$/);
    expect(d.details).toBeDefined();
  });
});

describe('mcp relay feed', () => {
  const feedOf = (status = { state: 'connecting', attempt: 0 } as const) => {
    const stream = Object.assign(createManualStream(status), { close() {} });
    const buffer = createLogBuffer();
    let t = Date.parse('2027-01-01T10:00:00Z');
    const feed = createRelayFeed({ stream, buffer, server: 'http://127.0.0.1:1', source: 'remote_debug', rooms: ['console-log'], now: () => (t += 1000) });
    return { stream, buffer, feed };
  };

  it('feeds the buffer, tells a lost and regained connection once, with times', () => {
    const { stream, buffer, feed } = feedOf();
    stream.setStatus({ state: 'connected', catchingUp: false });
    stream.push([msg('one')], 'history');
    expect(buffer.get(1)?.via).toBe('history');
    stream.notice('disconnected (transport close); reconnecting', 'warn');
    stream.setStatus({ state: 'reconnecting', attempt: 2, reason: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(feed.connection()).toMatchObject({ state: 'reconnecting', detail: 'connection lost; reconnecting (attempt 2): connect ECONNREFUSED 127.0.0.1:1' });
    stream.notice('reconnected; 2 missed messages read from history', 'info');
    const notices = feed.takeNotices();
    expect(notices.map((n) => n.text)).toEqual([
      'disconnected (transport close); reconnecting',
      expect.stringMatching(/^connection to the relay was lost at 2027-01-01T10:00:\d\d\.000Z; reconnected; 2 missed messages read from history \(at 2027-01-01T10:00:\d\d\.000Z\); entries sent while disconnected/),
    ]);
    expect(feed.takeNotices()).toEqual([]);
  });

  it('keeps at most MAX_NOTICES notices between two results and says how many it left out', () => {
    const { stream, feed } = feedOf();
    for (let i = 0; i < MAX_NOTICES + 5; i++) stream.notice(`server: \u001b[31mnotice ${i}`, 'error');
    const notices = feed.takeNotices();
    expect(notices).toHaveLength(MAX_NOTICES + 1);
    expect(notices[0]!.text).toBe('5 older notices were left out');
    expect(notices.at(-1)!.text).toBe(`server: notice ${MAX_NOTICES + 4}`);
  });

  it('ready() waits for the first history read once; a refusal ends the wait and is reported', async () => {
    const { stream, feed } = feedOf();
    const waiting = feed.ready(60_000);
    stream.setStatus({ state: 'error', message: 'sign verify failed!', code: 'BAD_SIGN' });
    await waiting;
    expect(feed.refusal()).toBe('sign verify failed! (BAD_SIGN)');
    const other = feedOf();
    await other.feed.ready(1);
    // Gave up once: the next call does not wait again.
    const next = await Promise.race([other.feed.ready(60_000).then(() => 'ready'), new Promise((r) => setImmediate(() => r('waiting')))]);
    expect(next).toBe('ready');
  });
});
