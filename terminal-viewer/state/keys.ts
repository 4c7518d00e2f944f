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
  switch (input) {
    case 'q':
      return 'quit';
    case '/':
      return { type: 'openFilter' };
    case ' ':
      return { type: 'togglePause' };
    case 'g':
      return { type: 'top' };
    case 'G':
      return { type: 'follow' };
    case 'c':
      return { type: 'clear' };
    case 'j':
      return { type: 'toggleJson' };
    case 'p':
      return { type: 'toggleExpanded' };
    case 's':
      return { type: 'cycleSession', direction: 1 };
    case 'S':
      return { type: 'cycleSession', direction: -1 };
    case 'n':
      return { type: 'cycleNetwork' };
    case 'x':
      return { type: 'resetFilters' };
    case '?':
    case 'h':
      return { type: 'toggleHelp' };
    case '0':
      return { type: 'allLevels' };
    default: {
      const n = Number(input);
      if (input.length === 1 && n >= 1 && n <= LOG_LEVELS.length) return { type: 'toggleLevel', level: LOG_LEVELS[n - 1]! };
      return null;
    }
  }
}
