import { LOG_LEVELS } from '../../packages/protocol';
import { isFiltering } from './filters';
import type { Action, KeyInfo, ViewerState } from './viewer-state';

export type { KeyInfo } from './viewer-state';

export type KeyResult = Action | 'quit' | null;

/** A key that is not text (an arrow, Enter, Ctrl-…). */
export function isSpecialKey(key: KeyInfo): boolean {
  return Boolean(
    key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.home || key.end || key.return ||
      key.escape || key.ctrl || key.backspace || key.delete || key.tab || key.meta,
  );
}

/** Help text of the keys, shown by `?` and in the README. */
export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/', 'filter by text; /regex/flags for a regular expression (Enter keeps, Esc restores)'],
  ['1-5', 'toggle levels debug, log, info, warn, error (0: all)'],
  ['s / S', 'next / previous session (all sessions first)'],
  ['n', 'network rows: shown, only them, hidden (--network only|hide)'],
  ['x / Esc', 'clear every filter'],
  ['space', 'pause / resume (new rows are counted while paused)'],
  ['↑ ↓ PgUp PgDn', 'scroll (scrolling up pauses; reaching the end resumes)'],
  ['g / Home', 'oldest row'],
  ['G / End', 'newest row, follow again'],
  ['enter / p', 'expand objects (pretty, multi-line)'],
  ['j', 'raw JSON of each message'],
  ['c', 'clear the list'],
  ['?', 'this help'],
  ['q / Ctrl-C', 'quit'],
];

/** Keys that always do the same (outside the filter prompt); 1-5 toggle the levels. */
const PLAIN_KEYS: ReadonlyMap<string, KeyResult> = new Map<string, KeyResult>([
  ['q', 'quit'],
  ['/', { type: 'openFilter' }],
  [' ', { type: 'togglePause' }],
  ['g', { type: 'top' }],
  ['G', { type: 'follow' }],
  ['c', { type: 'clear' }],
  ['j', { type: 'toggleJson' }],
  ['p', { type: 'toggleExpanded' }],
  ['s', { type: 'cycleSession', direction: 1 }],
  ['S', { type: 'cycleSession', direction: -1 }],
  ['n', { type: 'cycleNetwork' }],
  ['x', { type: 'resetFilters' }],
  ['?', { type: 'toggleHelp' }],
  ['h', { type: 'toggleHelp' }],
  ['0', { type: 'allLevels' }],
]);

/** Maps a key press to what it does. While the filter prompt is open, typing edits it. */
export function keyToAction(state: ViewerState, input: string, key: KeyInfo): KeyResult {
  if (key.ctrl && input === 'c') return 'quit';
  if (state.input) {
    if (key.return) return { type: 'commitFilter' };
    if (key.escape) return { type: 'cancelFilter' };
    if (key.backspace || key.delete) return { type: 'editFilter', draft: [...state.input.draft].slice(0, -1).join('') };
    if (key.ctrl && input === 'u') return { type: 'editFilter', draft: '' };
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return null;
    if (input) return { type: 'editFilter', draft: state.input.draft + input.replace(/[\r\n]/g, '') };
    return null;
  }
  if (state.help && (key.escape || input === '?' || input === 'q')) return { type: 'toggleHelp' };
  const step = Math.max(1, state.page - 1);
  if (key.upArrow) return { type: 'scroll', by: -1 };
  if (key.downArrow) return { type: 'scroll', by: 1 };
  if (key.pageUp || (key.ctrl && input === 'b')) return { type: 'scroll', by: -step };
  if (key.pageDown || (key.ctrl && input === 'f')) return { type: 'scroll', by: step };
  if (key.home) return { type: 'top' };
  if (key.end) return { type: 'follow' };
  if (key.return) return { type: 'toggleExpanded' };
  if (key.escape) return isFiltering(state.filter) ? { type: 'resetFilters' } : null;
  if (key.ctrl || key.meta) return null;
  const fixed = PLAIN_KEYS.get(input);
  if (fixed !== undefined) return fixed;
  const n = Number(input);
  if (input.length === 1 && n >= 1 && n <= LOG_LEVELS.length) return { type: 'toggleLevel', level: LOG_LEVELS[n - 1]! };
  return null;
}
