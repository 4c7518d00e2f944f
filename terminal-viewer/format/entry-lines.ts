import type { ViewEntry } from './view-entry';
import { LEVEL_BADGE, LEVEL_COLOR, sessionColor, shortSession, type ColorName } from './colors';
import { mappedCallSite, mappedStack, withMappedStacks } from '../stream/mapped-site';
import { networkDetailLines, performanceDetailLines } from './network';
import { sanitize, sanitizeLine } from './sanitize';
import { formatPretty, isTagged } from './value';

/** A run of text with one style. */
export interface Segment {
  text: string;
  color?: ColorName;
  dim?: boolean;
  bold?: boolean;
}

/** One terminal row: `left` is cut at the terminal's width, `right` (the call site) stays visible. */
export interface Line {
  left: Segment[];
  right?: Segment;
}

export interface LineOptions {
  /** Several rooms are shown: prefix each row with its room. */
  multiRoom: boolean;
  json: boolean;
  expanded: boolean;
  /** Most lines one entry may take in the expanded views. */
  maxLines?: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time with milliseconds, as consoles show it. */
export function clock(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '--:--:--.---';
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

const MAX_GROUP_INDENT = 8;

function header(entry: ViewEntry, opts: LineOptions): Segment[] {
  const out: Segment[] = [{ text: `${clock(entry.time)} `, dim: true }];
  if (entry.kind === 'notice') {
    out.push({ text: '--- ', color: entry.level === 'info' ? 'gray' : LEVEL_COLOR[entry.level], bold: true });
    return out;
  }
  if (entry.kind === 'plain') out.push({ text: 'MSG ', color: 'magenta', bold: true });
  // Requests and measurements have a badge of their own; the level still colours it.
  else if (entry.kind === 'network') out.push({ text: 'NET ', color: LEVEL_COLOR[entry.level] ?? 'blue', bold: true });
  else if (entry.kind === 'performance') out.push({ text: 'PRF ', color: LEVEL_COLOR[entry.level] ?? 'blue', bold: true });
  else out.push({ text: `${LEVEL_BADGE[entry.level]} `, color: LEVEL_COLOR[entry.level], bold: true });
  if (opts.multiRoom) out.push({ text: `#${sanitizeLine(entry.room)} `, color: 'blue' });
  if (entry.session !== undefined) out.push({ text: `${sanitizeLine(shortSession(entry.session))} `, color: sessionColor(entry.session) });
  // Plain messages and the original hook's rows have no session.
  else out.push({ text: `${'·'.padEnd(8)} `, dim: true });
  return out;
}

function messageColor(entry: ViewEntry): ColorName | undefined {
  if (entry.kind === 'notice') return entry.level === 'info' ? 'gray' : LEVEL_COLOR[entry.level];
  return entry.level === 'warn' || entry.level === 'error' || entry.level === 'debug' ? LEVEL_COLOR[entry.level] : undefined;
}

function firstLine(entry: ViewEntry, opts: LineOptions, text: string): Line {
  const indent = entry.log?.group ? '  '.repeat(Math.min(entry.log.group, MAX_GROUP_INDENT)) : '';
  const left = header(entry, opts);
  left.push({ text: indent + text, color: messageColor(entry) });
  if (entry.log?.dropped) left.push({ text: `  (${entry.log.dropped} dropped before this)`, color: 'yellow' });
  return { left, right: entry.callSite && !opts.json ? { text: ` ${entry.callSite}`, dim: true } : undefined };
}

/** The JSON of what was received (the message as the server sent it), sanitized for the terminal. */
export function messageJson(entry: ViewEntry, space?: number): string {
  if (entry.message === undefined) return JSON.stringify({ notice: entry.summary, level: entry.level, time: entry.time });
  return JSON.stringify(entry.message, null, space) ?? 'undefined';
}

/** Values that deserve their own lines in the expanded view. */
function expandable(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\n');
  return typeof value === 'object' && value !== null && !(isTagged(value) && !['Error', 'Map', 'Set', 'TypedArray'].includes(value.$t));
}

function parseJsonText(text: string): unknown {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

function detailLines(entry: ViewEntry, maxLines: number): string[] {
  if (entry.net) return [...networkDetailLines(entry.net, maxLines), ...(entry.net.callSite ? [`initiator ${entry.callSite ?? ''}`] : [])];
  if (entry.perf) return performanceDetailLines(entry.perf);
  const out: string[] = [];
  const values: unknown[] = [];
  if (entry.log) values.push(...entry.log.args.filter(expandable));
  else if (entry.message) {
    const data = entry.message.data;
    const parsed = typeof data === 'string' ? parseJsonText(data) : undefined;
    if (parsed !== undefined) values.push(parsed);
    else if (expandable(data)) values.push(data);
  }
  for (const value of values) {
    if (out.length >= maxLines) break;
    // Error stacks through source maps when tail has them (--source-maps-from, --source-maps).
    out.push(...formatPretty(withMappedStacks(value, entry.message), maxLines - out.length));
  }
  // console.trace and a failed console.assert carry the caller's stack.
  if (entry.log?.stack && out.length < maxLines) {
    out.push('stack:', ...sanitize(mappedStack(entry.message, entry.log.stack)).split('\n').slice(0, Math.max(1, maxLines - out.length)).map((l) => `  ${l.trim()}`));
  }
  const cs = (entry.message && mappedCallSite(entry.message)) ?? entry.log?.callSite;
  if (cs) out.push(`call site ${sanitizeLine(`${cs.fn ? `${cs.fn} (` : ''}${cs.file}:${cs.line}:${cs.col}${cs.fn ? ')' : ''}`)}`);
  if (entry.log?.page?.url) out.push(`page ${sanitizeLine(entry.log.page.url)}`);
  return out;
}

/** The rows one entry takes, for the current view. One row unless a view is expanded. */
export function entryLines(entry: ViewEntry, opts: LineOptions): Line[] {
  const maxLines = opts.maxLines ?? 200;
  if (opts.json) {
    if (!opts.expanded) return [firstLine(entry, opts, sanitizeLine(messageJson(entry)))];
    const body = sanitize(messageJson(entry, 2)).split('\n');
    const lines: Line[] = [{ left: header(entry, opts) }];
    for (const text of body.slice(0, maxLines)) lines.push({ left: [{ text: `  ${text}` }] });
    if (body.length > maxLines) lines.push({ left: [{ text: `  … ${body.length - maxLines} more lines`, dim: true }] });
    return lines;
  }
  const first = firstLine(entry, opts, entry.summary);
  if (!opts.expanded || entry.kind === 'notice') return [first];
  const rest = detailLines(entry, maxLines).map((text): Line => ({ left: [{ text: `    ${text}`, color: messageColor(entry) }] }));
  return [first, ...rest];
}
