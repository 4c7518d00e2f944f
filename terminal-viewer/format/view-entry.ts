import {
  asDebugEntry,
  asLogEntry,
  LOG_LEVELS,
  originalHookEntry,
  type LogEntry,
  type LogLevel,
  type Message,
  type NetworkEntry,
  type PerformanceEntryData,
} from '../../packages/protocol';
import { networkSummary, performanceSummary } from './network';
import { mappedCallSite } from '../stream/mapped-site';
import { sanitizeLine } from './sanitize';
import { formatArgs, formatInline } from './value';

/**
 * One row of the viewer: a remote-debug log entry, any other message (a notify string, a chat
 * object: shown as it is, never dropped), or a notice of the viewer itself (reconnected,
 * history truncated...). Built once per message, so filtering and rendering never re-parse.
 */
export interface ViewEntry {
  /** Increasing per viewer; orders entries and anchors the scroll position. */
  id: number;
  kind: 'log' | 'plain' | 'notice' | 'network' | 'performance';
  /** Room it arrived through ('' for notices). */
  room: string;
  /** ms since the epoch: the producer's clock for log entries, the server's for other messages. */
  time: number;
  /** Plain messages count as `log`; notices as `info`, `warn` or `error`. */
  level: LogLevel;
  session?: string;
  /** The parsed log entry (kind 'log'). */
  log?: LogEntry;
  /** The parsed network entry (kind 'network'). */
  net?: NetworkEntry;
  /** The parsed performance entry (kind 'performance'). */
  perf?: PerformanceEntryData;
  /** The message as received (kinds 'log' and 'plain'): what the JSON view and --json print. */
  message?: Message;
  /** The message text on one line, sanitized: what the list shows and the text filter searches. */
  summary: string;
  /** `file:line:col` of the console call, when the producer sent it. */
  callSite?: string;
}

/** Longest summary kept per entry; the JSON view still has everything. */
export const MAX_SUMMARY = 4096;

function shortFile(file: string): string {
  // Page URLs are long; the path's tail is what identifies the script.
  const noQuery = file.replace(/[?#].*$/, '');
  const parts = noQuery.split('/');
  return parts.slice(-2).join('/') || noQuery;
}

export function callSiteText(log: { callSite?: LogEntry['callSite'] }): string | undefined {
  const cs = log.callSite;
  if (!cs) return undefined;
  return sanitizeLine(`${shortFile(cs.file)}:${cs.line}:${cs.col}`);
}

function logSummary(log: LogEntry): string {
  const text = formatArgs(log.args, MAX_SUMMARY);
  // Console methods that are not a level (table, trace, onerror, ...) say what they were.
  const label = METHOD_LABELS.get(log.method);
  if (label !== undefined) return `${label} ${text}`;
  // The hook already says "Uncaught" / "Uncaught (in promise)" for errors, as consoles do.
  if (LEVEL_METHODS.has(log.method) || text.startsWith('Uncaught')) return text;
  return `[${sanitizeLine(log.method)}] ${text}`;
}

const METHOD_LABELS: ReadonlyMap<string, string> = new Map([
  ['group', '▼'],
  ['groupCollapsed', '▶'],
  ['groupEnd', '◀'],
]);

const LEVEL_METHODS: ReadonlySet<string> = new Set(LOG_LEVELS);

function timeOf(message: Message, receivedAt: number): number {
  return typeof message.ts === 'number' && Number.isFinite(message.ts) ? message.ts : receivedAt;
}

/** The log entry a message carries (as an object, or as JSON text from a back end's notify). */
export const logEntryOf = asLogEntry;

/** Turns a received message into a row. Never throws: anything that is not a log entry is a plain row. */
export function toViewEntry(message: Message, id: number, receivedAt: number): ViewEntry {
  const log = logEntryOf(message.data);
  if (log) {
    return {
      id,
      kind: 'log',
      room: message.room_id,
      time: Number.isFinite(log.ts) ? log.ts : timeOf(message, receivedAt),
      level: log.level,
      session: log.session,
      log,
      message,
      summary: logSummary(log),
      // Through the page's source map when the user allowed it (tail --source-maps-from).
      callSite: callSiteText({ callSite: mappedCallSite(message) ?? log.callSite }),
    };
  }
  // A request or a performance measurement of the page (issue 17).
  const other = asDebugEntry(message.data);
  if (other && other.kind !== 'log') {
    const common = {
      id,
      room: message.room_id,
      time: Number.isFinite(other.ts) ? other.ts : timeOf(message, receivedAt),
      level: other.level,
      session: other.session,
      message,
      callSite: callSiteText({ callSite: mappedCallSite(message) ?? other.callSite }),
    };
    return other.kind === 'network'
      ? { ...common, kind: 'network', net: other, summary: networkSummary(other) }
      : { ...common, kind: 'performance', perf: other, summary: performanceSummary(other) };
  }
  // The original hook's `postMsg(arguments, "console-log")`: a log row of its arguments, with
  // no session (the original sent none). `message` stays as received, for the JSON view and --json.
  const legacy = originalHookEntry(message.data, timeOf(message, receivedAt));
  if (legacy) {
    return { id, kind: 'log', room: message.room_id, time: legacy.ts, level: 'log', log: legacy, message, summary: logSummary(legacy) };
  }
  const data = message.data;
  return {
    id,
    kind: 'plain',
    room: message.room_id,
    time: timeOf(message, receivedAt),
    level: 'log',
    message,
    summary: typeof data === 'string' ? sanitizeLine(data).slice(0, MAX_SUMMARY) : formatInline(data, { maxLength: MAX_SUMMARY, quoted: true }),
  };
}

export function noticeEntry(text: string, id: number, at: number, level: 'info' | 'warn' | 'error' = 'info'): ViewEntry {
  return { id, kind: 'notice', room: '', time: at, level, summary: sanitizeLine(text) };
}
