import { callerFrame, createEntryBuffer, formatFrames, parseStack, serializeArgs, type SerializeLimits } from '../packages/log-core';
import { instrumentConsole } from './instrument/console';
import { instrumentGlobalErrors } from './instrument/global-error';
import { instrumentNetwork } from './instrument/network';
import { instrumentPerformance } from './instrument/performance';
import { completeFromTiming, earlierRequests } from './instrument/timing';
import { instrumentResourceErrors } from './instrument/resource-error';
import { instrumentUnhandledRejections } from './instrument/unhandled-rejection';
import { redactHeaders, redactUrl } from './redact';
import { createTransport, type Transport, type TransportStatus } from './transport';
import type { Capture, DebugEntry, Guard, LogEntry, LogLevel, NetCapture, NetworkEntry, PerfCapture, PerformanceEntryData } from './types';

export const ALL_LEVELS: readonly LogLevel[] = ['debug', 'log', 'info', 'warn', 'error'];

export interface InstallOptions {
  /** The relay server, e.g. `https://im.example.com:4000`. Default: this page's origin. */
  server?: string;
  /** Default `remote_debug`. */
  source?: string;
  /** Room (or comma-separated rooms) to publish to. Default `console-log`. */
  room?: string;
  /**
   * A publish-only token (`publishToken(sign_key, source, room)`), for sources that do not take
   * unsigned hook publishes. It lets the page publish, never read.
   */
  credential?: string;
  /** Levels to send (others still print locally). Default: all. A string is comma-separated. */
  levels?: readonly LogLevel[] | string;
  /** Session name shown in viewers. Default: a random id kept per tab in sessionStorage. */
  session?: string;
  /** Sent as the connection's userid / username (server logs). */
  userid?: string;
  username?: string;
  /**
   * Last look at each entry before it is sent (at send time, not at the console call): return
   * the entry (changed or not) to send it, or null/false to drop it. Runs guarded: console calls
   * inside it are not captured, and if it throws the entry is sent unchanged. Network entries
   * (`kind: 'network'`) come here already redacted; performance entries too.
   */
  beforeSend?: (entry: DebugEntry) => DebugEntry | null | false | undefined | void;
  /** Entries kept while offline; past it the oldest go (and the next entry says how many). Default 1000. */
  bufferSize?: number;
  /** Entries per postLogs. Default 50 (the server takes at most 100). */
  batchSize?: number;
  /** How long to gather entries before sending, ms. Default 100. */
  flushDelayMs?: number;
  /** Largest entry, bytes of JSON: larger ones have their arguments cut. Default 32000 (the server's hook default is 32 KiB). */
  maxEntryBytes?: number;
  serialize?: Partial<SerializeLimits>;
  /** What to capture. Default: all true. */
  captureConsole?: boolean;
  captureErrors?: boolean;
  captureRejections?: boolean;
  captureResources?: boolean;
  /** fetch, XHR, sendBeacon, WebSocket and EventSource, plus what loaded before the hook. Default true. */
  captureNetwork?: boolean;
  /**
   * Keep request and response bodies of text types, up to this many bytes each (`true`: 8192,
   * the most). Default off: bodies often hold what must not leave the page.
   */
  networkBodies?: boolean | number;
  /** LCP, CLS, INP, long tasks and navigation timing. Default true. */
  capturePerformance?: boolean;
  /** Files whose frames are never a call site (e.g. your own logging wrapper). */
  ignoreFiles?: readonly string[];
  /** The hook script's own URL (set by the script-tag entry): its frames are never a call site. */
  ownFile?: string;
}

/** `install()` answers with this: call it to uninstall. */
export interface RemoteDebug {
  (): void;
  uninstall(): void;
  /** Sends buffered entries now, if connected. */
  flush(): void;
  status(): HookStatus;
  readonly session: string;
}

export interface HookStatus extends TransportStatus {
  session: string;
  /** Entries recorded since install. */
  recorded: number;
}

const GLOBAL_KEY = Symbol.for('node-im.remote-debug');
/** Where a pending entry keeps its capture until it is sent: a symbol key, so JSON never sees it. */
const CAPTURE = Symbol('capture');
/** A network entry's raw capture (unredacted URL, start time): only for the Resource Timing match. */
const NET = Symbol('net');
type Pending = DebugEntry & { [CAPTURE]?: Capture; [NET]?: NetCapture };
/** Largest body kept with `networkBodies`. */
export const MAX_BODY_BYTES = 8192;
const SESSION_KEY = 'node-im-remote-debug-session';

function randomId(): string {
  return Date.now().toString(36).slice(-4) + Math.random().toString(36).slice(2, 10);
}

/** Stable for the tab's life (sessionStorage survives reloads, not new tabs). */
function tabSession(win: Window): string {
  try {
    const kept = win.sessionStorage.getItem(SESSION_KEY);
    if (kept) return kept;
    const id = randomId();
    win.sessionStorage.setItem(SESSION_KEY, id);
    return id;
  } catch {
    // Storage blocked (sandboxed frame, privacy mode): one id per page load.
    return randomId();
  }
}

export function parseLevels(levels: InstallOptions['levels']): Set<LogLevel> {
  if (levels === undefined) return new Set(ALL_LEVELS);
  const list = typeof levels === 'string' ? levels.split(',').map((l) => l.trim()) : levels;
  return new Set(ALL_LEVELS.filter((l) => list.includes(l)));
}

function byteLength(text: string): number {
  return typeof TextEncoder !== 'undefined' ? new TextEncoder().encode(text).length : text.length * 3;
}

/**
 * Installs the remote-debug hook in this page. Idempotent: while installed, another call
 * returns the same handle. Never throws into the page.
 */
export function install(options: InstallOptions = {}): RemoteDebug {
  if (typeof window === 'undefined' || typeof window.console === 'undefined') return inert();
  const win = window;
  const holder = win as unknown as Record<symbol, RemoteDebug | undefined>;
  const existing = holder[GLOBAL_KEY];
  if (existing) return existing;

  const guard: Guard = { busy: false };
  const con = win.console;
  const levels = parseLevels(options.levels);
  const session = (options.session ?? '').slice(0, 128) || tabSession(win);
  const maxEntryBytes = options.maxEntryBytes ?? 32_000;
  const ignoreFiles = [...(options.ownFile ? [options.ownFile] : []), ...(options.ignoreFiles ?? [])];
  const buffer = createEntryBuffer<DebugEntry>(options.bufferSize ?? 1000);
  // Entries given back after a failed send come through finalize again: do the work once.
  const finalized = new WeakSet<DebugEntry>();
  let seq = 0;
  let recorded = 0;
  // location.href costs about 2 µs; it cannot change within one synchronous run of code except
  // through history.pushState, so it is read once per task. Credential parameters are redacted
  // (a `?token=` in the page's own URL must not leave it either).
  let href: string | undefined;
  const pageUrl = (): string => {
    if (href === undefined) {
      href = redactUrl(String(win.location.href)).slice(0, 4096);
      Promise.resolve().then(() => (href = undefined), () => undefined);
    }
    return href;
  };
  // Filled once console is wrapped: the hook's own messages must bypass the wrapper.
  let original: Record<string, (...args: unknown[]) => void> = {};

  const diag = (level: 'warn' | 'info', message: string) => {
    try {
      (original[level] ?? con[level]).call(con, message);
    } catch {
      /* nowhere left to report */
    }
  };

  let transport: Transport | undefined;

  const record = (c: Capture) => {
    if (!levels.has(c.level)) return;
    const wasBusy = guard.busy;
    guard.busy = true;
    try {
      const entry: Pending = {
        kind: 'log',
        v: 1,
        level: c.level,
        method: c.method,
        args: serializeArgs(c.args, options.serialize),
        ts: Date.now(),
        seq: ++seq,
        session,
        origin: 'browser',
        page: { url: pageUrl() },
      };
      if (c.group) entry.group = c.group;
      if (c.callSite) entry.callSite = c.callSite;
      if (c.trace) entry[CAPTURE] = c;
      recorded++;
      buffer.push(entry);
      transport?.schedule();
    } catch {
      /* a lost entry is better than a broken page */
    } finally {
      guard.busy = wasBusy;
    }
  };

  const server = (() => {
    try {
      return new URL(options.server ?? win.location.origin, win.location.href).origin;
    } catch {
      return win.location.origin;
    }
  })();
  // The hook's own connection (publish-only Engine.IO polling/WebSocket) and its own script.
  const ownTraffic = (url: string): boolean =>
    (url.startsWith(`${server}/socket.io/`) && /[?&]role=publisher(&|$)/.test(url)) || (!!options.ownFile && url === options.ownFile);

  const stamp = (entry: Pending) => {
    recorded++;
    buffer.push(entry as DebugEntry);
    transport?.schedule();
  };

  const recordNet = (c: NetCapture) => {
    const wasBusy = guard.busy;
    guard.busy = true;
    try {
      const { t0: _t0, trace, ...facts } = c;
      const level: LogLevel = c.failure || (c.status ?? 0) >= 500 ? 'error' : (c.status ?? 0) >= 400 ? 'warn' : 'info';
      // data-levels="warn,error" keeps only the requests that failed.
      if (!levels.has(level)) return;
      const entry: Pending = {
        kind: 'network',
        v: 1,
        level,
        ...facts,
        // Redacted here, before the entry is even buffered: nothing later (beforeSend, a send) sees the secrets.
        url: redactUrl(c.url).slice(0, 4096),
        ts: c.beforeHook ? Math.round(c.start + (c.duration ?? 0)) : Date.now(),
        seq: ++seq,
        session,
        origin: 'browser',
        page: { url: pageUrl() },
      } as NetworkEntry;
      const net = entry as NetworkEntry;
      if (c.requestHeaders) net.requestHeaders = redactHeaders(c.requestHeaders);
      if (c.responseHeaders) net.responseHeaders = redactHeaders(c.responseHeaders);
      if (c.duration !== undefined) net.duration = Math.round(c.duration * 10) / 10;
      if (trace) entry[CAPTURE] = { level, method: 'network', args: [], trace, skip: 1 };
      if (c.t0 !== undefined) entry[NET] = c;
      stamp(entry);
    } catch {
      /* a lost entry is better than a broken page */
    } finally {
      guard.busy = wasBusy;
    }
  };

  const recordPerf = (c: PerfCapture) => {
    try {
      const { level, ...facts } = c;
      if (!levels.has(level ?? 'info')) return;
      const entry: PerformanceEntryData = {
        kind: 'performance',
        v: 1,
        level: level ?? 'info',
        ...facts,
        ts: Date.now(),
        seq: ++seq,
        session,
        origin: 'browser',
        page: { url: pageUrl() },
      };
      if (!entry.detail) delete entry.detail;
      if (!entry.rating) delete entry.rating;
      stamp(entry);
    } catch {
      /* as above */
    }
  };

  /** The expensive, deferred part: stack parsing, page details, beforeSend, size cut. */
  const finalize = (entry: DebugEntry): DebugEntry | null => {
    if (finalized.has(entry)) return entry;
    const wasBusy = guard.busy;
    guard.busy = true;
    try {
      const raw = (entry as Pending)[NET];
      if (raw && entry.kind === 'network') {
        delete (entry as Pending)[NET];
        completeFromTiming(win, raw);
        if (raw.duration !== undefined) entry.duration = Math.round(raw.duration * 10) / 10;
        if (raw.responseSize !== undefined) entry.responseSize = raw.responseSize;
        if (raw.status) entry.status = raw.status;
        if (raw.timing) entry.timing = raw.timing;
      }
      const capture = (entry as Pending)[CAPTURE];
      if (capture?.trace) {
        delete (entry as Pending)[CAPTURE];
        const stack = capture.trace.stack;
        const frame = callerFrame(stack, capture.skip ?? 0, ignoreFiles);
        if (frame) entry.callSite = { file: frame.file.slice(0, 2048), line: frame.line, col: frame.col, ...(frame.fn ? { fn: frame.fn } : {}) };
        if (capture.withStack && stack && entry.kind === 'log') {
          const frames = parseStack(stack).slice(capture.skip ?? 0).filter((f) => !ignoreFiles.includes(f.file));
          entry.stack = formatFrames(frames).slice(0, 16384);
        }
      }
      entry.page = { url: entry.page?.url ?? '', title: String(win.document?.title ?? '').slice(0, 1024) };
      entry.userAgent = String(win.navigator?.userAgent ?? '').slice(0, 1024);
      entry.viewport = { width: win.innerWidth, height: win.innerHeight };
      let out: DebugEntry | null = entry;
      if (options.beforeSend) {
        try {
          const changed = options.beforeSend(entry);
          if (changed === null || changed === false) out = null;
          else if (changed && typeof changed === 'object') out = changed;
        } catch (err) {
          diag('warn', `remote debug: beforeSend threw (${String(err)}); entry sent unchanged`);
        }
      }
      if (out) {
        const bytes = byteLength(JSON.stringify(out));
        if (bytes > maxEntryBytes && out.kind === 'network') {
          // Bodies and headers go first; what the request was stays.
          delete out.requestBody;
          delete out.responseBody;
          out.bodyTruncated = true;
          if (byteLength(JSON.stringify(out)) > maxEntryBytes) {
            delete out.requestHeaders;
            delete out.responseHeaders;
          }
        } else if (bytes > maxEntryBytes && out.kind === 'log') {
          const preview = JSON.stringify(out.args).slice(0, Math.floor(maxEntryBytes / 8));
          out.args = [`[entry of ${bytes} bytes cut to fit ${maxEntryBytes}]`, { $t: 'string', value: preview, length: bytes }];
          out.stack = out.stack?.slice(0, 2000);
        }
        finalized.add(out);
      }
      return out;
    } catch {
      return entry;
    } finally {
      guard.busy = wasBusy;
    }
  };

  const undo: Array<() => void> = [];
  try {
    if (options.captureConsole !== false) {
      // The wrapper, the caller and one spare (a builtin such as Array.forEach may sit between);
      // more when frames of the user's ignored files may come first.
      const wrapped = instrumentConsole(con, record, guard, levels, options.ignoreFiles?.length ? 12 : 3);
      original = wrapped.originals;
      undo.push(wrapped.restore);
    }
    if (options.captureErrors !== false) undo.push(instrumentGlobalErrors(win, record));
    if (options.captureRejections !== false) undo.push(instrumentUnhandledRejections(win, record));
    if (options.captureResources !== false) undo.push(instrumentResourceErrors(win, record));
    if (options.captureNetwork !== false) {
      undo.push(earlierRequests(win, recordNet, ownTraffic));
      const bodies = options.networkBodies;
      undo.push(
        ...instrumentNetwork(win, {
          guard,
          emit: recordNet,
          ignore: ownTraffic,
          maxBody: bodies === true ? MAX_BODY_BYTES : typeof bodies === 'number' && bodies > 0 ? Math.min(Math.floor(bodies), MAX_BODY_BYTES) : 0,
          frames: options.ignoreFiles?.length ? 12 : 3,
        }),
      );
    }
    if (options.capturePerformance !== false) undo.push(instrumentPerformance(win, recordPerf));
    transport = createTransport({
      server,
      source: options.source || 'remote_debug',
      room: options.room || 'console-log',
      credential: options.credential,
      userid: options.userid || 'hook',
      username: options.username || session,
      buffer,
      finalize,
      diag,
      batchSize: Math.min(Math.max(1, options.batchSize ?? 50), 100),
      flushDelayMs: options.flushDelayMs ?? 100,
      ackTimeoutMs: 10_000,
      retryDelayMs: 1000,
    });
    if (buffer.size > 0) transport.schedule();
  } catch (err) {
    diag('warn', `remote debug: could not start (${String(err)})`);
  }

  const onHide = () => transport?.flush();
  win.addEventListener('pagehide', onHide);

  const uninstall = () => {
    if (holder[GLOBAL_KEY] !== handle) return;
    delete holder[GLOBAL_KEY];
    win.removeEventListener('pagehide', onHide);
    for (const fn of undo.splice(0).reverse()) {
      try {
        fn();
      } catch {
        /* keep undoing the rest */
      }
    }
    transport?.close();
  };

  const handle = Object.assign(uninstall, {
    uninstall,
    flush: () => transport?.flush(),
    status: (): HookStatus => ({
      ...(transport?.status() ?? { connected: false, buffered: buffer.size, sent: 0, dropped: buffer.droppedTotal, rateLimited: 0 }),
      session,
      recorded,
    }),
    session,
  }) as RemoteDebug;
  holder[GLOBAL_KEY] = handle;
  return handle;
}

/** Outside a browser (server-side rendering, a worker without window): a hook that does nothing. */
function inert(): RemoteDebug {
  const noop = () => undefined;
  return Object.assign(noop, {
    uninstall: noop,
    flush: noop,
    status: (): HookStatus => ({ connected: false, buffered: 0, sent: 0, dropped: 0, rateLimited: 0, session: '', recorded: 0 }),
    session: '',
  }) as RemoteDebug;
}
