import { asDebugEntry, type DebugEntry, type LogLevel, type Message, type NetworkEntry, type PerformanceEntryData } from '../../packages/protocol';
import { sanitizeLine } from '../format/sanitize';
import { callSiteText, MAX_SUMMARY, toViewEntry, type ViewEntry } from '../format/view-entry';

/**
 * What `im-debug mcp` keeps of the rooms it reads: the newest `capacity` entries (a ring: the
 * oldest go first, counted), a summary per session (bounded too, least recently seen go first),
 * and listeners for `wait_for_log`. Ids increase by one per entry, so an id finds its entry
 * in O(1) while it is still kept.
 */

export const ENTRY_KINDS = ['console', 'error', 'network', 'performance', 'plain'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface BufferedEntry {
  /** Increasing from 1, one per message received. */
  id: number;
  view: ViewEntry;
  kind: EntryKind;
  /** The remote-debug entry the message carries (log, network, performance), if any. */
  debug?: DebugEntry;
  /** Plain messages count as `log`; network entries carry their own (error for failures and 5xx). */
  level: LogLevel;
  session?: string;
  /** ms since the epoch: the producer's clock for entries, the server's (or arrival) for plain messages. */
  time: number;
  /** The entry on one line (sanitized; the viewer's summary, or the request / measurement). */
  text: string;
  callSite?: string;
  /** When im-debug got it (ms since the epoch). */
  receivedAt: number;
  /** Read back from the room's history (on connect, after a reconnect) or received live. */
  via: 'history' | 'live';
}

export interface SessionSummary {
  session: string;
  origin?: string;
  pageUrl?: string;
  pageTitle?: string;
  userAgent?: string;
  firstSeen: number;
  lastSeen: number;
  rooms: string[];
  entries: number;
  counts: Record<LogLevel, number>;
}

/** The hook's uncaught-error events; console.error (method `error`) is a console entry of level error. */
const ERROR_METHODS: ReadonlySet<string> = new Set(['onerror', 'unhandledrejection', 'resource']);

/** The kind of a row: from the entry's own `kind` (packages/protocol/log-entry.ts), then its method. */
export function entryKind(debug: DebugEntry | undefined): EntryKind {
  if (!debug) return 'plain';
  if (debug.kind === 'network') return 'network';
  if (debug.kind === 'performance') return 'performance';
  return ERROR_METHODS.has(debug.method) ? 'error' : 'console';
}

const num = (n: number | undefined, unit: string) => (n === undefined || !Number.isFinite(n) ? '' : `${Math.round(n * 10) / 10}${unit}`);

/** `GET 503 https://api.example/x 120ms 2048B`, `WS close 1006 ws://…`: what a request row says. */
export function networkText(e: NetworkEntry): string {
  const verb = e.type === 'websocket' ? 'WS' : e.type === 'eventsource' ? 'SSE' : e.method || '?';
  const state = e.event ? `${e.event}${e.code !== undefined ? ` ${e.code}` : ''}` : e.status ? String(e.status) : e.failure || e.statusText || '-';
  const parts = [verb, state, e.url, num(e.duration, 'ms')];
  if (e.event && e.failure) parts.push(`(${e.failure})`);
  if (typeof e.responseSize === 'number') parts.push(`${e.responseSize}B`);
  if (e.type !== 'fetch' && e.type !== 'websocket' && e.type !== 'eventsource') parts.push(`[${e.type}]`);
  if (e.beforeHook) parts.push('[before hook]');
  return sanitizeLine(parts.filter(Boolean).join(' ')).slice(0, MAX_SUMMARY);
}

/** `LCP 1200ms good`, `navigation 820ms ttfb=120 load=820`. */
export function performanceText(e: PerformanceEntryData): string {
  const parts = [e.metric, e.metric === 'CLS' ? String(e.value) : num(e.value, 'ms')];
  if (e.rating) parts.push(e.rating);
  for (const [k, v] of Object.entries(e.detail ?? {}).slice(0, 20)) parts.push(`${k}=${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`);
  return sanitizeLine(parts.join(' ')).slice(0, MAX_SUMMARY);
}

export interface LogBufferOptions {
  /** Entries kept (default 5000). */
  capacity?: number;
  /** Sessions summarised (default 1000). */
  maxSessions?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface LogBuffer {
  readonly capacity: number;
  readonly size: number;
  /** Entries dropped because the buffer was full. */
  readonly evicted: number;
  readonly oldestId: number | undefined;
  readonly newestId: number | undefined;
  /** Messages that are not log entries (no session). */
  readonly plainCount: number;
  push(messages: readonly Message[], via: 'history' | 'live'): BufferedEntry[];
  get(id: number): BufferedEntry | undefined;
  /** The newest `limit` entries that pass, oldest first, and how many passed in all. */
  newest(test: (e: BufferedEntry) => boolean, limit: number): { entries: BufferedEntry[]; matched: number };
  /** The oldest kept entry after `afterId` that passes. */
  firstAfter(afterId: number, test: (e: BufferedEntry) => boolean): BufferedEntry | undefined;
  sessions(): SessionSummary[];
  hasSession(session: string): boolean;
  /** Told about every entry as it is added; returns the unsubscribe. */
  onEntry(listener: (e: BufferedEntry) => void): () => void;
}

export const DEFAULT_MCP_BUFFER = 5000;

export function createLogBuffer(opts: LogBufferOptions = {}): LogBuffer {
  const capacity = opts.capacity ?? DEFAULT_MCP_BUFFER;
  const maxSessions = opts.maxSessions ?? 1000;
  const now = opts.now ?? Date.now;
  const ring: Array<BufferedEntry | undefined> = new Array(capacity);
  let start = 0; // index of the oldest entry
  let size = 0;
  let nextId = 1;
  let evicted = 0;
  let plainCount = 0;
  // A Map keeps insertion order: re-inserting on each entry keeps the least recently seen first.
  const sessions = new Map<string, SessionSummary>();
  const listeners = new Set<(e: BufferedEntry) => void>();

  const at = (i: number) => ring[(start + i) % capacity]!;

  const track = (e: BufferedEntry) => {
    const d = e.debug;
    if (!d) {
      plainCount++;
      return;
    }
    let s = sessions.get(d.session);
    if (s) sessions.delete(d.session);
    else {
      s = { session: d.session, firstSeen: e.time, lastSeen: e.time, rooms: [], entries: 0, counts: { debug: 0, log: 0, info: 0, warn: 0, error: 0 } };
      if (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
    }
    sessions.set(d.session, s);
    s.entries++;
    s.counts[d.level]++;
    s.firstSeen = Math.min(s.firstSeen, e.time);
    s.lastSeen = Math.max(s.lastSeen, e.time);
    if (!s.rooms.includes(e.view.room) && s.rooms.length < 50) s.rooms.push(e.view.room);
    if (d.origin) s.origin = d.origin;
    if (d.page?.url) s.pageUrl = d.page.url;
    if (d.page?.title) s.pageTitle = d.page.title;
    if (d.userAgent) s.userAgent = d.userAgent;
  };

  const toEntry = (message: Message, id: number, receivedAt: number, via: BufferedEntry['via']): BufferedEntry => {
    const view = toViewEntry(message, id, receivedAt);
    // The viewer's row already parsed a console entry; other kinds are parsed here.
    const debug: DebugEntry | undefined = view.log ?? asDebugEntry(message.data);
    const entry: BufferedEntry = { id, view, kind: entryKind(debug), level: view.level, time: view.time, text: view.summary, receivedAt, via };
    if (debug) {
      entry.debug = debug;
      entry.session = debug.session;
      entry.level = debug.level;
      if (Number.isFinite(debug.ts)) entry.time = debug.ts;
      if (debug.kind === 'network') entry.text = networkText(debug);
      else if (debug.kind === 'performance') entry.text = performanceText(debug);
      const site = view.callSite ?? (debug.callSite ? callSiteText(debug as Parameters<typeof callSiteText>[0]) : undefined);
      if (site) entry.callSite = site;
    }
    return entry;
  };

  return {
    capacity,
    get size() {
      return size;
    },
    get evicted() {
      return evicted;
    },
    get oldestId() {
      return size ? at(0).id : undefined;
    },
    get newestId() {
      return size ? at(size - 1).id : undefined;
    },
    get plainCount() {
      return plainCount;
    },
    push(messages, via) {
      const added: BufferedEntry[] = [];
      const receivedAt = now();
      for (const message of messages) {
        const entry = toEntry(message, nextId++, receivedAt, via);
        if (size === capacity) {
          ring[start] = entry;
          start = (start + 1) % capacity;
          evicted++;
        } else {
          ring[(start + size) % capacity] = entry;
          size++;
        }
        track(entry);
        added.push(entry);
      }
      for (const e of added) for (const l of listeners) l(e);
      return added;
    },
    get(id) {
      if (!size) return undefined;
      const i = id - at(0).id;
      return Number.isInteger(i) && i >= 0 && i < size ? at(i) : undefined;
    },
    newest(test, limit) {
      const out: BufferedEntry[] = [];
      let matched = 0;
      for (let i = size - 1; i >= 0; i--) {
        const e = at(i);
        if (!test(e)) continue;
        matched++;
        if (out.length < limit) out.push(e);
      }
      return { entries: out.reverse(), matched };
    },
    firstAfter(afterId, test) {
      if (!size) return undefined;
      for (let i = Math.max(0, afterId + 1 - at(0).id); i < size; i++) {
        const e = at(i);
        if (test(e)) return e;
      }
      return undefined;
    },
    sessions: () => [...sessions.values()].map((s) => ({ ...s, rooms: [...s.rooms], counts: { ...s.counts } })),
    hasSession: (session) => sessions.has(session),
    onEntry(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
