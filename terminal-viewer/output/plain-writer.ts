import { Chalk, type ChalkInstance } from 'chalk';
import type { Message } from '../../packages/protocol';
import { toViewEntry, type ViewEntry } from '../format/view-entry';
import { matches, type Filter } from '../state/filters';
import { LEVEL_COLOR, shortSession, sessionColor } from '../format/colors';
import { sanitizeLine } from '../format/sanitize';

/**
 * The output when stdout is not a terminal (or with --plain / --json): one line per entry,
 * written as soon as it arrives, so `| grep`, `| jq` and `> file` see every entry at once.
 */

// JSON.stringify leaves C1 controls (U+0080..U+009F, e.g. the 8-bit CSI) and U+2028/9 raw:
// escape them too, so the line is still the same JSON value but inert in any terminal.
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/** The message exactly as the server sent it, as one NDJSON line (without the newline). */
export function jsonLine(message: Message): string {
  return JSON.stringify(message).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const LEVEL_WORD = { debug: 'DEBUG', log: 'LOG  ', info: 'INFO ', warn: 'WARN ', error: 'ERROR' } as const;

export interface PlainLineOptions {
  multiRoom: boolean;
  chalk?: ChalkInstance;
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString();
}

/** `2026-11-26T10:00:00.123Z WARN  [3f2a9c1e] #room message (app.js:12:5)` */
export function plainLine(entry: ViewEntry, opts: PlainLineOptions): string {
  const c = opts.chalk ?? new Chalk({ level: 0 });
  const parts: string[] = [c.dim(isoTime(entry.time))];
  if (entry.kind === 'notice') parts.push(c.dim('---  '));
  else if (entry.kind === 'plain') parts.push(c.magenta('MSG  '));
  else if (entry.kind === 'network' || entry.kind === 'performance') {
    const word = entry.kind === 'network' ? 'NET  ' : 'PERF ';
    const color = LEVEL_COLOR[entry.level];
    parts.push(color ? c[color](word) : word);
  }
  else {
    const color = LEVEL_COLOR[entry.level];
    parts.push(color ? c[color](LEVEL_WORD[entry.level]) : LEVEL_WORD[entry.level]);
  }
  if (opts.multiRoom && entry.room) parts.push(c.blue(`#${sanitizeLine(entry.room)}`));
  if (entry.session !== undefined) parts.push(c[sessionColor(entry.session)](`[${sanitizeLine(shortSession(entry.session))}]`));
  const indent = entry.log?.group ? '  '.repeat(Math.min(entry.log.group, 8)) : '';
  parts.push(indent + entry.summary);
  if (entry.log?.dropped) parts.push(c.yellow(`(${entry.log.dropped} dropped before this)`));
  if (entry.callSite) parts.push(c.dim(`(${entry.callSite})`));
  return parts.join(' ');
}

export interface PlainWriterOptions {
  /** One NDJSON object per entry (the received message, lossless) instead of text. */
  json: boolean;
  filter: Filter;
  multiRoom: boolean;
  /** Colour the text lines (never the JSON). */
  color: boolean;
  /** Receives each line with its newline. */
  write: (line: string) => void;
  now?: () => number;
}

export interface PlainWriter {
  /** Writes the lines of the messages that pass the filter; returns how many were written. */
  write(messages: readonly Message[]): number;
  readonly written: number;
}

export function createPlainWriter(opts: PlainWriterOptions): PlainWriter {
  const chalk = new Chalk({ level: opts.color ? Math.max(1, new Chalk().level) as 1 | 2 | 3 : 0 });
  const now = opts.now ?? Date.now;
  let id = 0;
  let written = 0;
  return {
    get written() {
      return written;
    },
    write(messages) {
      let n = 0;
      const at = now();
      for (const message of messages) {
        const entry = toViewEntry(message, ++id, at);
        if (!matches(entry, opts.filter)) continue;
        opts.write(`${opts.json ? jsonLine(message) : plainLine(entry, { multiRoom: opts.multiRoom, chalk })}\n`);
        n++;
      }
      written += n;
      return n;
    },
  };
}
