import { describe, expect, it } from 'vitest';
import { formatArgs, preview } from '../../debug-viewer/format';
import { compileFilter, createRowStore, rowText, toNdjson, type Filter } from '../../debug-viewer/state';
import { LOG_LEVELS, type LogEntry, type Message } from '../../packages/protocol';

let seq = 0;
function entry(over: Partial<LogEntry> = {}): LogEntry {
  seq++;
  return { kind: 'log', v: 1, level: 'log', method: 'log', args: [`line ${seq}`], ts: 1_700_000_000_000 + seq, seq, session: 's1', origin: 'browser', ...over };
}
function msg(data: unknown, offset?: number): Message {
  return { source: 'remote_debug', room_id: 'console-log', data, ...(offset === undefined ? {} : { offset, epoch: 'e1' }) };
}
const all: Filter = { levels: new Set(LOG_LEVELS), text: '', regex: false, session: '' };

describe('/debug view logic', () => {
  it('applies console format specifiers; %c styles are dropped, extra args follow', () => {
    expect(formatArgs(['%s has %d items (%i%%), %f', 'cart', 3.7, 42.9, 1.5, 'extra'])).toEqual([{ text: 'cart has 3 items (42%), 1.5' }, { text: 'extra' }]);
    expect(formatArgs(['%cbig', 'font-size: 40px'])).toEqual([{ text: 'big' }]);
    expect(formatArgs(['obj %o end', { a: 1 }])).toEqual([{ text: 'obj ' }, { value: { a: 1 } }, { text: ' end' }]);
    expect(formatArgs(['missing %s'])).toEqual([{ text: 'missing %s' }]);
    expect(formatArgs([{ a: 1 }, 'x'])).toEqual([{ value: { a: 1 } }, { text: 'x' }]);
  });

  it('previews values like the console, from their $t tags', () => {
    expect(preview({ a: 1, b: 'x', c: { $t: 'undefined' } })).toBe('{a: 1, b: "x", c: undefined}');
    expect(preview({ $ctor: 'Point', x: 1 })).toBe('Point {x: 1}');
    expect(preview({ $$t: 'user key' })).toBe('{$t: "user key"}');
    expect(preview({ $t: 'Map', size: 1, entries: [['k', 1]] })).toBe('Map(1) {"k" => 1}');
    expect(preview({ $t: 'Error', name: 'TypeError', message: 'bad' })).toBe('TypeError: bad');
    expect(preview({ $t: 'string', value: 'abc', length: 9000 }, true)).toBe('abc…');
    expect(preview([1, { $t: 'more', count: 5 }])).toBe('[1, … 5 more]');
    expect(preview({ $t: 'circular', path: '$0.a' })).toBe('[Circular $0.a]');
    expect(preview({ $t: 'bigint', value: '9' })).toBe('9n');
  });

  it('keeps each message once (by stream position and by entry identity) and at most cap rows', () => {
    const store = createRowStore(3);
    const e = entry();
    expect(store.add(msg(e, 1))).toBeDefined();
    expect(store.add(msg(e, 1))).toBeUndefined(); // history and live overlap
    expect(store.add(msg(e, 2))).toBeUndefined(); // the hook resent a batch whose ack was lost
    expect(store.add(msg('plain text', 3))?.method).toBe('message');
    store.add(msg(entry(), 4));
    store.add(msg(entry(), 5));
    expect(store.rows.map((r) => r.message.offset)).toEqual([3, 4, 5]);
    expect(store.takeEvicted().map((r) => r.message.offset)).toEqual([1]);
    expect(store.sessions.get('s1')).toBe(3);
  });

  it('reads log entries sent as JSON text (back ends) and marks their origin', () => {
    const store = createRowStore();
    const row = store.add(msg(JSON.stringify(entry({ origin: 'php', level: 'warn', args: ['from php'] }))))!;
    expect(row).toMatchObject({ origin: 'php', level: 'warn', args: ['from php'] });
    // Not an entry: shown as it is.
    expect(store.add(msg('{"kind":"chat"}'))).toMatchObject({ method: 'message', args: ['{"kind":"chat"}'] });
  });

  it('filters by level, session, text and regular expression; a bad regex is an error, not a crash', () => {
    const store = createRowStore();
    const a = store.add(msg(entry({ level: 'warn', args: ['disk almost full', { path: '/var' }] })))!;
    const b = store.add(msg(entry({ level: 'error', session: 's2', args: [{ $t: 'Error', name: 'TypeError', message: 'x is undefined' }] })))!;
    const test = (f: Partial<Filter>) => {
      const m = compileFilter({ ...all, ...f });
      if (!m.ok) throw new Error(m.error);
      return [a, b].filter((r) => m.test(r)).map((r) => r.level);
    };
    expect(test({ levels: new Set(['error'] as const) })).toEqual(['error']);
    expect(test({ session: 's2' })).toEqual(['error']);
    expect(test({ text: 'ALMOST' })).toEqual(['warn']);
    expect(test({ text: '/var' })).toEqual(['warn']);
    expect(test({ text: '^typeerror: x', regex: true })).toEqual(['error']);
    expect(compileFilter({ ...all, text: '([', regex: true }).ok).toBe(false);
    expect(rowText(a)).toContain('disk almost full');
  });

  it('exports NDJSON: one received message per line', () => {
    const store = createRowStore();
    store.add(msg(entry(), 1));
    store.add(msg('plain', 2));
    const lines = toNdjson(store.rows).trimEnd().split('\n').map((l) => JSON.parse(l) as Message);
    expect(lines.map((l) => l.offset)).toEqual([1, 2]);
    expect(lines[1]!.data).toBe('plain');
    expect(toNdjson([])).toBe('');
  });
});
