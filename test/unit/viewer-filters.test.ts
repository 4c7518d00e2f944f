import { describe, expect, it } from 'vitest';
import { ImError, type LogEntry, type Message } from '../../packages/protocol';
import { noticeEntry, toViewEntry } from '../../terminal-viewer/format/view-entry';
import { compileText, createFilter, describeFilter, isFiltering, levelsFrom, matches, parseLevel } from '../../terminal-viewer/state/filters';

function logMsg(over: Partial<LogEntry> = {}): Message {
  const data: LogEntry = { kind: 'log', v: 1, level: 'info', method: 'info', args: ['Payment failed'], ts: 1, seq: 1, session: 's1', origin: 'browser', ...over };
  return { source: 'remote_debug', room_id: 'console-log', data };
}
const row = (m: Message) => toViewEntry(m, 1, 0);
const plain = row({ source: 'demo', room_id: 'r', data: 'order shipped' });

describe('viewer filters', () => {
  it('matches plain text case-insensitively and literally', () => {
    const re = compileText('a.b (x)')!;
    expect(re.test('A.B (X)')).toBe(true);
    expect(re.test('axb (x)')).toBe(false);
  });

  it('reads /re/flags as a regular expression and drops the stateful g and y flags', () => {
    const re = compileText('/fail(ed)?$/gi')!;
    expect(re.flags).toBe('i');
    // Same answer every time: a g flag would make the second test() start at lastIndex.
    expect([re.test('Payment FAILED'), re.test('Payment FAILED')]).toEqual([true, true]);
  });

  it('reads bare --grep text as a regular expression', () => {
    expect(compileText('time(out)?|refused', { regex: true })!.test('connection refused')).toBe(true);
    expect(compileText('time(out)?|refused')!.test('connection refused')).toBe(false);
  });

  it('rejects a broken expression with the reason', () => {
    expect(() => compileText('/(unclosed/')).toThrow(ImError);
    expect(() => compileText('(x', { regex: true })).toThrow(/invalid regular expression \(x: .+/);
  });

  it('parses levels, minimum levels and refuses unknown ones', () => {
    expect(parseLevel('WARNING')).toBe('warn');
    expect(parseLevel(' Error ')).toBe('error');
    expect(() => parseLevel('fatal')).toThrow(/use one of debug, log, info, warn, error/);
    expect(levelsFrom('warn')).toEqual({ debug: false, log: false, info: false, warn: true, error: true });
  });

  it('applies level, session and text together; plain rows count as level log and have no session', () => {
    const info = row(logMsg());
    expect(matches(info, createFilter({ level: 'warn' }))).toBe(false);
    expect(matches(info, createFilter({ level: 'info', text: 'payment' }))).toBe(true);
    expect(matches(info, createFilter({ session: 's2' }))).toBe(false);
    expect(matches(plain, createFilter({ level: 'log' }))).toBe(true);
    expect(matches(plain, createFilter({ level: 'info' }))).toBe(false);
    expect(matches(plain, createFilter({ session: 's1' }))).toBe(false);
    expect(matches(plain, createFilter({ text: 'SHIPPED' }))).toBe(true);
  });

  it('matches the call site too, and always passes notices', () => {
    const withSite = row(logMsg({ callSite: { file: 'https://x.test/static/checkout.js?v=3', line: 12, col: 4 } }));
    expect(withSite.callSite).toBe('static/checkout.js:12:4');
    expect(matches(withSite, createFilter({ text: 'checkout.js:12' }))).toBe(true);
    expect(matches(noticeEntry('reconnected', 2, 0), createFilter({ level: 'error', text: 'zzz', session: 'none' }))).toBe(true);
  });

  it('describes what it filters', () => {
    expect(isFiltering(createFilter())).toBe(false);
    expect(describeFilter(createFilter())).toBe('none');
    const f = createFilter({ level: 'warn', text: '/x/i', session: 'abc' });
    expect(isFiltering(f)).toBe(true);
    expect(describeFilter(f)).toBe('warn,error "/x/i" session abc');
  });
});
