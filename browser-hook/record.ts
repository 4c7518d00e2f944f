import { serializeArgs, type EntryBuffer, type SerializeLimits } from '../packages/log-core';
import { redactHeaders, redactUrl } from './redact';
import type { Capture, DebugEntry, Guard, LogLevel, NetCapture, NetworkEntry, PerfCapture, PerformanceEntryData } from './instrument/types';

/**
 * Turns what the instruments capture into entries, cheaply, at the moment of the call: the
 * expensive part (stack parsing, page details, beforeSend) waits for the send (finalize.ts).
 */

/** Where a pending entry keeps its capture until it is sent: a symbol key, so JSON never sees it. */
export const CAPTURE = Symbol('capture');
/** A network entry's raw capture (unredacted URL, start time): only for the Resource Timing match. */
export const NET = Symbol('net');
export type Pending = DebugEntry & { [CAPTURE]?: Capture; [NET]?: NetCapture };

export interface RecorderOptions {
  win: Window;
  guard: Guard;
  levels: Set<LogLevel>;
  session: string;
  buffer: EntryBuffer<DebugEntry>;
  /** Called after each entry is buffered (the transport's schedule). */
  schedule(): void;
  serialize?: Partial<SerializeLimits>;
}

export interface Recorders {
  record(c: Capture): void;
  recordNet(c: NetCapture): void;
  recordPerf(c: PerfCapture): void;
  /** Entries recorded since install. */
  recorded(): number;
}

export function createRecorders({ win, guard, levels, session, buffer, schedule, serialize }: RecorderOptions): Recorders {
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

  const stamp = (entry: Pending) => {
    recorded++;
    buffer.push(entry as DebugEntry);
    schedule();
  };

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
        args: serializeArgs(c.args, serialize),
        ts: Date.now(),
        seq: ++seq,
        session,
        origin: 'browser',
        page: { url: pageUrl() },
      };
      if (c.group) entry.group = c.group;
      if (c.callSite) entry.callSite = c.callSite;
      if (c.trace) entry[CAPTURE] = c;
      stamp(entry);
    } catch {
      /* a lost entry is better than a broken page */
    } finally {
      guard.busy = wasBusy;
    }
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

  return { record, recordNet, recordPerf, recorded: () => recorded };
}
