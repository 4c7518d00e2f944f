import { compileTextFilter, ImError, LOG_LEVEL_RANK, LOG_LEVELS, type LogLevel } from '../../packages/protocol';
import type { ViewEntry } from '../format/view-entry';

/**
 * What the viewer shows. The same filter serves the interactive list and the piped output.
 * Notices of the viewer itself always pass.
 */
export interface Filter {
  /** Levels shown; plain (non-log) messages count as `log`. */
  levels: Readonly<Record<LogLevel, boolean>>;
  /** The text as the user typed it ('' = no text filter). */
  text: string;
  /** Compiled from `text`; undefined when `text` is ''. */
  pattern?: RegExp;
  /** Only this session's entries (plain messages have none, so they are hidden). */
  session: string | null;
  /** Network rows: shown with the rest, the only rows, or hidden (`--network only|hide`, key `n`). */
  network: NetworkMode;
}

export const NETWORK_MODES = ['show', 'only', 'hide'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

export function parseNetworkMode(raw: string): NetworkMode {
  const mode = raw.trim().toLowerCase();
  if ((NETWORK_MODES as readonly string[]).includes(mode)) return mode as NetworkMode;
  throw new ImError('INVALID_PARAMETER', `unknown --network ${JSON.stringify(raw)}: use only, hide or show`);
}

export const ALL_LEVELS: Readonly<Record<LogLevel, boolean>> = { debug: true, log: true, info: true, warn: true, error: true };

export function levelsFrom(min: LogLevel): Record<LogLevel, boolean> {
  const out = { ...ALL_LEVELS };
  for (const level of LOG_LEVELS) out[level] = LOG_LEVEL_RANK[level] >= LOG_LEVEL_RANK[min];
  return out;
}

export function parseLevel(raw: string): LogLevel {
  const level = raw.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  if (level === 'warning') return 'warn';
  throw new ImError('INVALID_PARAMETER', `unknown level ${JSON.stringify(raw)}: use one of ${LOG_LEVELS.join(', ')}`);
}

/**
 * Compiles filter text by the viewers' one rule (packages/protocol text-filter): `/re/flags` is a
 * regular expression, anything else a case-insensitive substring; with `regex` (the `--grep`
 * flag) bare text is a regular expression too. Throws ImError INVALID_PARAMETER with the reason.
 */
export function compileText(text: string, opts: { regex?: boolean } = {}): RegExp | undefined {
  return compileTextFilter(text, { regex: opts.regex }).pattern;
}

export interface FilterInit {
  level?: LogLevel;
  text?: string;
  /** Treat bare `text` as a regular expression (`--grep`). */
  regex?: boolean;
  session?: string | null;
  network?: NetworkMode;
}

export function createFilter(init: FilterInit = {}): Filter {
  const text = init.text ?? '';
  return {
    levels: init.level ? levelsFrom(init.level) : ALL_LEVELS,
    text,
    pattern: compileText(text, { regex: init.regex }),
    session: init.session ?? null,
    network: init.network ?? 'show',
  };
}

export function matches(entry: ViewEntry, filter: Filter): boolean {
  if (entry.kind === 'notice') return true;
  if (filter.network === 'only' ? entry.kind !== 'network' : filter.network === 'hide' && entry.kind === 'network') return false;
  if (!filter.levels[entry.level]) return false;
  if (filter.session !== null && entry.session !== filter.session) return false;
  if (filter.pattern) {
    if (filter.pattern.test(entry.summary)) return true;
    return entry.callSite !== undefined && filter.pattern.test(entry.callSite);
  }
  return true;
}

export function isFiltering(filter: Filter): boolean {
  return filter.text !== '' || filter.session !== null || filter.network !== 'show' || LOG_LEVELS.some((l) => !filter.levels[l]);
}

/** A short description for the filter bar, e.g. `warn,error /timeout/i session 3f2a…`. */
export function describeFilter(filter: Filter): string {
  const parts: string[] = [];
  const on = LOG_LEVELS.filter((l) => filter.levels[l]);
  if (on.length !== LOG_LEVELS.length) parts.push(on.length ? on.join(',') : 'no levels');
  if (filter.text) parts.push(JSON.stringify(filter.text));
  if (filter.session !== null) parts.push(`session ${filter.session}`);
  if (filter.network !== 'show') parts.push(filter.network === 'only' ? 'network only' : 'no network');
  return parts.length ? parts.join(' ') : 'none';
}
