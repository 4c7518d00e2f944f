import { describe, expect, it } from 'vitest';
import { createRowStore, rowText, toNdjson } from '../../debug-viewer/state';
import { isOriginalHookArguments, originalHookArgs, type Message } from '../../packages/protocol';
import { jsonLine, plainLine } from '../../terminal-viewer/output/plain-writer';
import { toViewEntry } from '../../terminal-viewer/format/view-entry';
import { entryLines } from '../../terminal-viewer/format/entry-lines';
import { matches, createFilter } from '../../terminal-viewer/state/filters';

const msg = (data: unknown): Message => ({ source: 'remote_debug', room_id: 'console-log', data, ts: 1_700_000_000_000 });

describe("the original hook's arguments objects", () => {
  it('are plain objects whose keys are exactly "0".."n-1", n >= 1', () => {
    expect(isOriginalHookArguments({ 0: 'a' })).toBe(true);
    expect(isOriginalHookArguments({ 0: 'a', 1: { x: 1 }, 2: null })).toBe(true);
    expect(isOriginalHookArguments(JSON.parse('{"1":"b","0":"a"}'))).toBe(true);
    expect(isOriginalHookArguments(Object.assign(Object.create(null), { 0: 1 }))).toBe(true);
    for (const not of [
      {},
      [],
      ['a'],
      'a',
      '{"0":"a"}',
      null,
      42,
      { 1: 'a' },
      { 0: 'a', 2: 'c' },
      { 0: 'a', x: 1 },
      { '00': 'a' },
      { 0: 'a', '01': 'b' },
      { '-0': 'a' },
      new Map([['0', 'a']]),
      new (class A {})(),
    ]) {
      expect(isOriginalHookArguments(not), JSON.stringify(not)).toBe(false);
    }
  });

  it('give their arguments in order; a user key $t stays a key, never a tag', () => {
    expect(originalHookArgs(JSON.parse('{"1":2,"0":"one"}'))).toEqual(['one', 2]);
    expect(originalHookArgs({ 0: { $t: 'undefined', nested: [{ $ctor: 'X' }] }, 1: { $$t: 1 } })).toEqual([
      { $$t: 'undefined', nested: [{ $$ctor: 'X' }] },
      { $$$t: 1 },
    ]);
    const untouched = { a: [1, { b: 2 }] };
    expect(originalHookArgs({ 0: untouched })![0]).toBe(untouched);
    expect(originalHookArgs({ 0: 'a', x: 1 })).toBeUndefined();
  });

  it('are log rows in /debug; other objects stay plain rows; the NDJSON export keeps the message as received', () => {
    const store = createRowStore();
    const data = { 0: 'clicked', 1: { id: 7 } };
    const row = store.add(msg(data))!;
    expect(row).toMatchObject({ level: 'log', method: 'log', origin: 'original hook', args: ['clicked', { id: 7 }] });
    expect(row.message.data).toBe(data);
    expect(rowText(row)).toContain('clicked');
    // Two identical lines are two rows (the original sent no id to tell them apart).
    expect(store.add(msg({ 0: 'clicked', 1: { id: 7 } }))).toBeDefined();
    expect(store.add(msg({ 0: 'a', x: 1 }))).toMatchObject({ method: 'message', args: [{ 0: 'a', x: 1 }] });
    expect(store.add(msg({}))).toMatchObject({ method: 'message' });
    expect(toNdjson([row])).toBe(`${JSON.stringify(msg(data))}\n`);
  });

  it('are LOG rows in im-debug tail; --json prints the message as received', () => {
    const m = msg({ 0: 'total', 1: 3, 2: { ok: true } });
    const entry = toViewEntry(m, 1, 0);
    expect(entry).toMatchObject({ kind: 'log', level: 'log', summary: 'total 3 { ok: true }' });
    expect(entry.session).toBeUndefined();
    expect(entry.message).toBe(m);
    expect(plainLine(entry, { multiRoom: false })).toMatch(/^\S+ LOG {3}total 3 \{ ok: true \}$/);
    expect(jsonLine(m)).toBe(JSON.stringify(m));
    expect(entryLines(entry, { multiRoom: false, json: false, expanded: false })[0]!.left.map((s) => s.text).join('')).toContain('LOG');
    // Level and text filters apply to them as to any log row.
    expect(matches(entry, createFilter({ level: 'warn' }))).toBe(false);
    expect(matches(entry, createFilter({ text: 'total' }))).toBe(true);
    const plain = toViewEntry(msg({ 0: 'a', x: 1 }), 2, 0);
    expect(plain.kind).toBe('plain');
  });
});
