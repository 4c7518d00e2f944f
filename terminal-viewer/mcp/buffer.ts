import { type LogEntry, type LogLevel, type Message } from '../../packages/protocol';
import { toViewEntry, type ViewEntry } from '../state/entry';

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
const NETWORK_METHODS: ReadonlySet<string> = new Set(['network', 'fetch', 'xhr', 'beacon', 'sendBeacon', 'eventsource', 'websocket', 'request']);
const PERFORMANCE_METHODS: ReadonlySet<string> = new Set(['performance', 'perf', 'vitals', 'web-vitals', 'webvital', 'longtask', 'navigation', 'LCP', 'CLS', 'INP', 'lcp', 'cls', 'inp']);

/**
 * The kind of a row. Network and performance entries are log entries with a `method` naming
 * them (or a `network` / `performance` object), so older producers and viewers keep working.
 */
export function entryKind(view: ViewEntry): EntryKind {
  const log = view.log;
  if (view.kind !== 'log' || !log) return 'plain';
  const extra = log as LogEntry & Record<string, unknown>;
  if (NETWORK_METHODS.has(log.method) || isObject(extra.network) || isObject(extra.net)) return 'network';
  if (PERFORMANCE_METHODS.has(log.method) || isObject(extra.performance) || isObject(extra.perf)) return 'performance';
  if (ERROR_METHODS.has(log.method)) return 'error';
  return 'console';
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
    const log = e.view.log;
    if (!log) {
      plainCount++;
      return;
    }
    let s = sessions.get(log.session);
    if (s) sessions.delete(log.session);
    else {
      s = { session: log.session, firstSeen: e.view.time, lastSeen: e.view.time, rooms: [], entries: 0, counts: { debug: 0, log: 0, info: 0, warn: 0, error: 0 } };
      if (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
    }
    sessions.set(log.session, s);
    s.entries++;
    s.counts[log.level]++;
    s.firstSeen = Math.min(s.firstSeen, e.view.time);
    s.lastSeen = Math.max(s.lastSeen, e.view.time);
    if (!s.rooms.includes(e.view.room) && s.rooms.length < 50) s.rooms.push(e.view.room);
    if (log.origin) s.origin = log.origin;
    if (log.page?.url) s.pageUrl = log.page.url;
    if (log.page?.title) s.pageTitle = log.page.title;
    if (log.userAgent) s.userAgent = log.userAgent;
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
        const id = nextId++;
        const view = toViewEntry(message, id, receivedAt);
        const entry: BufferedEntry = { id, view, kind: entryKind(view), receivedAt, via };
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
