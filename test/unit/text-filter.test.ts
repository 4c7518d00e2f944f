import { describe, expect, it } from 'vitest';
import { compileTextFilter, ImError, LOG_LEVELS, type Message } from '../../packages/protocol';
import { compileFilter, createRowStore } from '../../debug-viewer/state';
import { createFilter, matches } from '../../terminal-viewer/state/filters';
import { toViewEntry } from '../../terminal-viewer/format/view-entry';

// One rule for every viewer: the same text means the same thing in /debug, tail and the MCP server.
describe('filter text', () => {
  it('reads /re/flags as an expression, a path as text, other text as a case-insensitive substring', () => {
    expect(compileTextFilter('/Time(out)?/').pattern!.test('Timeout')).toBe(true);
    expect(compileTextFilter('/Time(out)?/').pattern!.test('timeout')).toBe(false);
    expect(compileTextFilter('/time/gi').pattern!.flags).toBe('i');
    const path = compileTextFilter('/api/missing');
    expect(path.pattern!.test('GET /API/missing 404')).toBe(true);
    expect(path.note).toMatch(/searched as text/);
    expect(compileTextFilter('a.b').pattern!.test('axb')).toBe(false);
    expect(compileTextFilter('a.b', { regex: true }).pattern!.test('axb')).toBe(true);
    expect(compileTextFilter('').pattern).toBeUndefined();
  });

  it('refuses a broken expression with the text once and the reason', () => {
    expect(() => compileTextFilter('/(x/')).toThrow(ImError);
    expect(() => compileTextFilter('/(x/')).toThrow(/^invalid regular expression \/\(x\/: Unterminated group$/);
    expect(() => compileTextFilter('(x', { regex: true })).toThrow(/^invalid regular expression \(x: Unterminated group$/);
  });

  it('gives /debug and tail the same answer for the same text', () => {
    const m: Message = { source: 'demo', room_id: 'r', data: 'Payment FAILED for order 7' };
    const row = createRowStore().add(m)!;
    const entry = toViewEntry(m, 1, 0);
    for (const [text, expected] of [['failed', true], ['/FAILED/', true], ['/failed/', false], ['/failed/i', true], ['/api/x', false]] as const) {
      const debug = compileFilter({ levels: new Set(LOG_LEVELS), text, regex: false, session: '' });
      expect(debug.ok && debug.test(row), `/debug ${text}`).toBe(expected);
      expect(matches(entry, createFilter({ text })), `tail ${text}`).toBe(expected);
    }
  });
});
