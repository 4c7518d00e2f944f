import { describe, expect, it } from 'vitest';
import type { LogEntry, Message } from '../../packages/protocol';
import { entryLines, type Line } from '../../terminal-viewer/format/entry-lines';
import { sessionColor } from '../../terminal-viewer/format/colors';
import { clipLine } from '../../terminal-viewer/components/LogList';
import { sanitize } from '../../terminal-viewer/format/sanitize';
import { formatArgs, formatInline, formatPretty } from '../../terminal-viewer/format/value';
import { createPlainWriter, jsonLine, plainLine } from '../../terminal-viewer/output/plain-writer';
import { toViewEntry } from '../../terminal-viewer/format/view-entry';
import { createFilter } from '../../terminal-viewer/state/filters';

const ESC = '\u001b';
const text = (line: Line) => line.left.map((s) => s.text).join('') + (line.right?.text ?? '');

function logMsg(over: Partial<LogEntry> = {}, room = 'console-log'): Message {
  const data: LogEntry = { kind: 'log', v: 1, level: 'warn', method: 'warn', args: ['hi'], ts: Date.UTC(2026, 10, 26, 10, 0, 0, 123), seq: 1, session: 'f00dcafe1234', origin: 'browser', ...over };
  return { source: 'remote_debug', room_id: room, data, offset: 7, epoch: 'e', ts: 5 };
}

describe('value formatting', () => {
  it('prints the serializer tags as a console would', () => {
    const err = { $t: 'Error', name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (app.js:1:2)' };
    expect(
      formatArgs([
        'v',
        { $t: 'undefined' },
        { $t: 'NaN' },
        { $t: 'bigint', value: '12' },
        { $t: 'symbol', description: 'id' },
        { $t: 'function', name: 'onClick' },
        { $t: 'Date', iso: '2026-11-26T10:00:00.000Z' },
        { $t: 'RegExp', source: 'a+', flags: 'g' },
        err,
        { $t: 'Map', size: 1, entries: [['k', 1]] },
        { $t: 'Set', size: 2, values: [1, 2] },
        { $t: 'TypedArray', ctor: 'Uint8Array', length: 2, values: [1, 2] },
        { $t: 'node', summary: 'div#app.main' },
        { a: { $t: 'circular', path: '$' }, b: { $t: 'depth', ctor: 'Object' }, $ctor: 'Cart' },
        [1, { $t: 'more', count: 98 }],
        { $t: 'string', value: 'abc', length: 5000 },
        { $t: 'thrown', message: 'getter failed' },
      ]),
    ).toBe(
      "v undefined NaN 12n Symbol(id) ƒ onClick() 2026-11-26T10:00:00.000Z /a+/g TypeError: x is undefined Map(1) { 'k' => 1 } Set(2) { 1, 2 } " +
        "Uint8Array(2) [ 1, 2 ] <div#app.main> Cart { a: [Circular $], b: [Object] } [1, … 98 more] 'abc'… (5000 chars) [Thrown: getter failed]",
    );
  });

  it('applies console format specifiers and drops %c styles', () => {
    expect(formatArgs(['%s has %d items (%o) %c!', 'cart', 3.7, { a: 1 }, 'color: red', 'extra'])).toBe("cart has 3 items ({ a: 1 }) ! extra");
    expect(formatArgs(['100%% done'])).toBe('100% done');
  });

  it('never lets control characters reach the terminal', () => {
    const line = formatArgs([`evil ${ESC}[2J${ESC}]0;title\u0007 \u009b31m`, { [`k${ESC}`]: `v\n2` }]);
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(line).toContain('\\x1b[2J');
    expect(line).toContain('\\x9b31m');
    expect(sanitize('a\tb\nc')).toBe('a\tb\nc');
  });

  it('cuts long values at the limit', () => {
    const long = formatInline({ s: 'x'.repeat(10_000) }, { maxLength: 50 });
    expect(long.length).toBeLessThanOrEqual(50);
    expect(long.endsWith('…')).toBe(true);
  });

  it('pretty-prints nested objects and error stacks on several lines', () => {
    const lines = formatPretty({ user: { name: 'spring', tags: ['a', 'b'] }, long: 'y'.repeat(80), err: { $t: 'Error', name: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.js:1:1)' } });
    expect(lines).toEqual([
      '{',
      "  user: { name: 'spring', tags: ['a', 'b'] },",
      `  long: '${'y'.repeat(80)}',`,
      '  err: Error: boom,',
      '    at f (a.js:1:1)',
      '}',
    ]);
  });
});

describe('entry rows', () => {
  it('shows time, level, session and call site on one line', () => {
    const row = toViewEntry(logMsg({ callSite: { file: 'https://a.test/js/app.js', line: 3, col: 9 } }), 1, 0);
    const [line] = entryLines(row, { multiRoom: false, json: false, expanded: false });
    expect(text(line!)).toMatch(/^\d\d:\d\d:\d\d\.123 WRN f00dcafe hi js\/app\.js:3:9$/);
    expect(line!.left.find((s) => s.text.startsWith('f00dcafe'))!.color).toBe(sessionColor('f00dcafe1234'));
    expect(sessionColor('f00dcafe1234')).toBe(sessionColor('f00dcafe1234'));
  });

  it('labels console methods that are not levels, without doubling the hook\'s "Uncaught"', () => {
    const err = { $t: 'Error', name: 'TypeError', message: 'x is undefined' };
    expect(toViewEntry(logMsg({ level: 'error', method: 'onerror', args: ['Uncaught', err] }), 1, 0).summary).toBe('Uncaught TypeError: x is undefined');
    expect(toViewEntry(logMsg({ method: 'table', args: [[1, 2]] }), 1, 0).summary).toBe('[table] [1, 2]');
    expect(toViewEntry(logMsg({ method: 'group', args: ['cart'] }), 1, 0).summary).toBe('▼ cart');
  });

  it('expands objects, JSON text of plain messages, and the raw JSON view', () => {
    const obj = toViewEntry(logMsg({ args: ['order', { id: 1, items: Array.from({ length: 30 }, (_, i) => i) }] }), 1, 0);
    const expanded = entryLines(obj, { multiRoom: false, json: false, expanded: true }).map(text);
    expect(expanded[1]).toBe('    {');
    expect(expanded).toContain('      id: 1,');
    const plainJson = toViewEntry({ source: 'demo', room_id: 'r', data: '{"type":"order","id":42}' }, 2, 0);
    expect(entryLines(plainJson, { multiRoom: true, json: false, expanded: true }).map(text).slice(1)).toEqual(["    { type: 'order', id: 42 }"]);
    const raw = entryLines(obj, { multiRoom: false, json: true, expanded: false });
    expect(raw).toHaveLength(1);
    expect(text(raw[0]!)).toContain('"room_id":"console-log"');
    expect(entryLines(obj, { multiRoom: false, json: true, expanded: true }).length).toBeGreaterThan(10);
  });
});

describe('row clipping', () => {
  it('cuts the text before Ink measures it and keeps the end of the call site visible', () => {
    const line: Line = { left: [{ text: '12:00:00.000 ', dim: true }, { text: 'x'.repeat(5000) }], right: { text: ' https://cdn.example.com/static/js/app.bundle.js:120:9' } };
    const clipped = clipLine(line, 80);
    expect(clipped.right!.text).toBe(' …pp.bundle.js:120:9');
    expect(clipped.right!.text).toHaveLength(80 / 4);
    expect(text(clipped).length).toBe(80);
    const short: Line = { left: [{ text: 'short' }] };
    expect(clipLine(short, 80)).toBe(short);
  });
});

describe('piped output', () => {
  it('writes one lossless NDJSON line per message, inert in a terminal', () => {
    const m: Message = { source: 'demo', room_id: 'r', data: { s: `a\u009b31m\u2028` }, offset: 1, epoch: 'e', ts: 2 };
    const line = jsonLine(m);
    expect(line).not.toMatch(/[\u007f-\u009f\u2028]/);
    expect(JSON.parse(line)).toEqual(m);
  });

  it('writes plain lines with ISO time, level, room and session, filtered', () => {
    const out: string[] = [];
    const w = createPlainWriter({ json: false, filter: createFilter({ level: 'warn' }), multiRoom: true, color: false, write: (l) => out.push(l) });
    expect(w.write([logMsg({ level: 'info', method: 'info' }), logMsg(), { source: 'demo', room_id: 'b', data: 'plain' }])).toBe(1);
    expect(out).toEqual(['2026-11-26T10:00:00.123Z WARN  #console-log [f00dcafe] hi\n']);
    const row = toViewEntry({ source: 'demo', room_id: 'b', data: { a: 1 }, ts: Date.UTC(2026, 0, 1) }, 1, 0);
    expect(plainLine(row, { multiRoom: false })).toBe("2026-01-01T00:00:00.000Z MSG   { a: 1 }");
  });
});
