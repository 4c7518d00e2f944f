import {
  asDebugEntry,
  asLogEntry,
  compileTextFilter,
  ORIGINAL_HOOK_ORIGIN,
  originalHookArgs,
  type CallSite,
  type LogEntry,
  type LogLevel,
  type Message,
  type NetworkEntry,
  type PerformanceEntryData,
} from '../packages/protocol';
import { networkSummary, performanceSummary } from '../terminal-viewer/format/network';
import { searchText } from './format';

/** One line of the /debug list: a log entry, or a plain message shown as one. */
export interface Row {
  /** Local order of arrival. */
  id: number;
  message: Message;
  entry?: LogEntry;
  /** A request of the page (issue 17): shown in the Network view, and in the console view unless hidden. */
  net?: NetworkEntry;
  /** A performance measurement (LCP, CLS, INP, long task, navigation timing). */
  perf?: PerformanceEntryData;
  level: LogLevel;
  method: string;
  ts: number;
  session: string;
  /** Who produced it: browser, node, php; a plain message says `message`. */
  origin: string;
  args: unknown[];
  callSite?: CallSite;
  group: number;
  /** Text of everything in the row, made when first searched. */
  text?: string;
}

export interface Filter {
  levels: ReadonlySet<LogLevel>;
  text: string;
  regex: boolean;
  /** '' for every session. */
  session: string;
  /** Network rows in the console view: shown (default), hidden, or the only rows. */
  network?: 'show' | 'hide' | 'only';
}

/** A compiled filter, or the reason the text is not a valid regular expression. */
export type Matcher = { ok: true; test(row: Row): boolean } | { ok: false; error: string };

export function compileFilter(f: Filter): Matcher {
  let pattern: RegExp | undefined;
  try {
    // The viewers' one text rule; the regex box makes bare text an expression, case-insensitive
    // and multiline (^ and $ work per value: each argument, key and leaf is a line of the row text).
    pattern = compileTextFilter(f.text, { regex: f.regex, regexFlags: 'im' }).pattern;
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  return {
    ok: true,
    test: (row) =>
      f.levels.has(row.level) &&
      (f.session === '' || row.session === f.session) &&
      (f.network === 'only' ? row.net !== undefined : f.network !== 'hide' || row.net === undefined) &&
      (pattern === undefined || pattern.test(rowText(row))),
  };
}

export function rowText(row: Row): string {
  if (row.text === undefined) {
    const parts = searchText(row.args);
    if (row.callSite) parts.push(`${row.callSite.file}:${row.callSite.line}:${row.callSite.col}`);
    parts.push(row.session, row.method, row.origin);
    if (row.entry?.stack) parts.push(row.entry.stack);
    row.text = parts.join('\n');
  }
  return row.text;
}

/** Identity of a message for de-duplication: its stream position, and the entry's own id. */
export function messageKeys(m: Message, entry: Pick<LogEntry, 'origin' | 'session' | 'seq' | 'ts'> | undefined): string[] {
  const keys: string[] = [];
  if (m.epoch !== undefined && m.offset !== undefined) keys.push(`o:${m.room_id}:${m.epoch}:${m.offset}`);
  // A hook that resends a batch whose ack was lost sends the same entry twice.
  if (entry) keys.push(`e:${entry.origin}:${entry.session}:${entry.seq}:${entry.ts}`);
  return keys;
}

export function toRow(id: number, m: Message): Row {
  const entry = asLogEntry(m.data);
  if (entry) {
    return {
      id,
      message: m,
      entry,
      level: entry.level,
      method: entry.method,
      ts: entry.ts,
      session: entry.session,
      origin: entry.origin,
      args: entry.args,
      callSite: entry.callSite,
      group: entry.group ?? 0,
    };
  }
  // Requests and measurements: their text is the one line both viewers show.
  const other = asDebugEntry(m.data);
  if (other && other.kind !== 'log') {
    const common = { id, message: m, level: other.level, ts: other.ts, session: other.session, origin: other.origin, callSite: other.callSite, group: 0 };
    return other.kind === 'network'
      ? { ...common, net: other, method: 'network', args: [networkSummary(other)] }
      : { ...common, perf: other, method: 'performance', args: [performanceSummary(other)] };
  }
  // The original hook's `postMsg(arguments, "console-log")`: a log row of its arguments. No
  // `entry`: it has no session or sequence number to tell repeats apart by.
  const legacyArgs = originalHookArgs(m.data);
  if (legacyArgs) {
    return { id, message: m, level: 'log', method: 'log', ts: m.ts ?? Date.now(), session: '', origin: ORIGINAL_HOOK_ORIGIN, args: legacyArgs, group: 0 };
  }
  return {
    id,
    message: m,
    level: 'log',
    method: 'message',
    ts: m.ts ?? Date.now(),
    session: '',
    origin: 'message',
    args: [m.data],
    group: 0,
  };
}

/**
 * The rows the page keeps: at most `cap` (the oldest go), each message once, in arrival order,
 * plus per-session counts for the session filter.
 */
export interface RowStore {
  readonly rows: readonly Row[];
  readonly sessions: ReadonlyMap<string, number>;
  /** Adds a message; undefined when it was seen before. */
  add(m: Message): Row | undefined;
  /** Rows dropped from the front since the last call (for the view to remove). */
  takeEvicted(): Row[];
  clear(): void;
}

export function createRowStore(cap = 5000): RowStore {
  let rows: Row[] = [];
  let evicted: Row[] = [];
  const sessions = new Map<string, number>();
  // Keys of recent messages; bounded like the rows, oldest first (Map keeps insertion order).
  const seen = new Map<string, true>();
  let nextId = 1;
  return {
    get rows() {
      return rows;
    },
    sessions,
    add(m) {
      const row = toRow(nextId, m);
      const keys = messageKeys(m, row.entry ?? row.net ?? row.perf);
      if (keys.some((k) => seen.has(k))) return undefined;
      nextId++;
      for (const k of keys) seen.set(k, true);
      while (seen.size > cap * 4) seen.delete(seen.keys().next().value as string);
      rows.push(row);
      if (row.session) sessions.set(row.session, (sessions.get(row.session) ?? 0) + 1);
      if (rows.length > cap) {
        const gone = rows.splice(0, rows.length - cap);
        evicted.push(...gone);
      }
      return row;
    },
    takeEvicted() {
      const out = evicted;
      evicted = [];
      return out;
    },
    clear() {
      rows = [];
      evicted = [];
      // `seen` stays: history re-read after a reconnect must not bring cleared rows back.
    },
  };
}

/** NDJSON of rows: one message per line, as received (data included as sent). */
export function toNdjson(rows: readonly Row[]): string {
  return rows.map((r) => JSON.stringify(r.message)).join('\n') + (rows.length ? '\n' : '');
}
