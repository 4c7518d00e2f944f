import { hostname } from 'node:os';
import { callerFrame, createEntryBuffer, serializeArgs, type SerializeLimits } from '../log-core';
import type { LogEntry, LogLevel } from '../protocol';
import { legacyNotifySign } from '../signing/legacy';

export interface RemoteLoggerOptions {
  /** The relay server, e.g. `http://127.0.0.1:4000`. */
  server: string;
  source: string;
  signKey: string;
  /** Room (or comma-separated rooms), e.g. `console-log`. */
  room: string;
  /** Shown as the session in viewers. Default `<hostname>:<pid>`. */
  session?: string;
  /** Who produced the entries. Default `node`. */
  origin?: string;
  /** Entries kept while the server is unreachable; past it the oldest go. Default 1000. */
  bufferSize?: number;
  /** How long to gather entries before sending, ms. Default 50. */
  flushDelayMs?: number;
  /** Also save the entries to the server's message log (`filename` of /api/notify). */
  filename?: string;
  serialize?: Partial<SerializeLimits>;
  /** Told about delivery problems (default: one line on stderr per kind of problem). Never throws into the caller. */
  onError?: (err: Error) => void;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

type LogFn = (...args: unknown[]) => void;

export interface RemoteLogger {
  debug: LogFn;
  log: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /**
   * Resolves when everything logged so far was delivered or refused, or after `timeoutMs`
   * (default 10 s) while the server stays unreachable (entries stay buffered). Never rejects.
   */
  flush(timeoutMs?: number): Promise<void>;
  /** Entries delivered, dropped (buffer full or refused) and waiting. */
  stats(): { sent: number; dropped: number; buffered: number };
}

const RETRY_MS = [200, 500, 1000, 2000, 5000];

/**
 * Back-end log points for the remote-debug room: each call becomes a LogEntry (origin `node`,
 * with the caller's file:line) pushed through the signed `POST /api/notify` as JSON text,
 * exactly what a PHP back end can do too. Calls return at once; entries go out in order, one
 * request at a time, after a short gathering delay; a failed push is retried with backoff.
 * Nothing here ever throws into the caller.
 */
export function createRemoteLogger(options: RemoteLoggerOptions): RemoteLogger {
  const endpoint = new URL('/api/notify', options.server).toString();
  const session = options.session ?? `${hostname()}:${process.pid}`;
  const origin = options.origin ?? 'node';
  const doFetch = options.fetch ?? fetch;
  const buffer = createEntryBuffer<LogEntry>(options.bufferSize ?? 1000);
  const flushDelay = options.flushDelayMs ?? 50;
  const reported = new Set<string>();
  const report =
    options.onError ??
    ((err: Error) => {
      const kind = err.message.split(':')[0]!;
      if (reported.has(kind)) return;
      reported.add(kind);
      process.stderr.write(`remote logger: ${err.message}\n`);
    });
  let seq = 0;
  let sent = 0;
  let refused = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const idle: Array<() => void> = [];

  const safeReport = (err: Error) => {
    try {
      report(err);
    } catch {
      /* a broken onError must not break logging */
    }
  };

  const push = async (entry: LogEntry): Promise<'ok' | 'retry' | 'refused'> => {
    const data = JSON.stringify(entry);
    const body = new URLSearchParams({
      source: options.source,
      room_id: options.room,
      data,
      sign: legacyNotifySign(options.source, options.room, data, options.signKey),
    });
    if (options.filename !== undefined) body.set('filename', options.filename);
    try {
      const res = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        return 'ok';
      }
      const text = await res.text().catch(() => '');
      // 4xx other than 429: this entry will never be accepted (bad sign, too large): drop it.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        safeReport(new Error(`refused: ${res.status} ${text.slice(0, 200)}`));
        return 'refused';
      }
      safeReport(new Error(`server answered ${res.status}: ${text.slice(0, 200)}`));
      return 'retry';
    } catch (err) {
      safeReport(new Error(`cannot reach ${endpoint}: ${(err as Error).message}`));
      return 'retry';
    }
  };

  const drain = async () => {
    let attempt = 0;
    while (buffer.size > 0) {
      const [entry] = buffer.take(1);
      const result = await push(entry!);
      if (result === 'ok') {
        sent++;
        attempt = 0;
      } else if (result === 'refused') {
        refused++;
        // The count of entries lost before it must still reach the viewer.
        if (entry!.dropped) buffer.noteDropped(entry!.dropped);
      } else {
        buffer.restore([entry!]);
        await new Promise<void>((r) => setTimeout(r, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]).unref());
      }
    }
  };

  const start = () => {
    timer = undefined;
    if (running) return;
    running = drain()
      .catch((err: unknown) => safeReport(err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        running = undefined;
        if (buffer.size > 0) start();
        else idle.splice(0).forEach((fn) => fn());
      });
  };

  const make =
    (level: LogLevel): LogFn =>
    (...args) => {
      try {
        const entry: LogEntry = {
          kind: 'log',
          v: 1,
          level,
          method: level,
          args: serializeArgs(args, options.serialize),
          ts: Date.now(),
          seq: ++seq,
          session,
          origin,
        };
        // Frame 0 is this function; the caller is next.
        const site = callerFrame(new Error().stack, 1);
        if (site) entry.callSite = { file: site.file, line: site.line, col: site.col, ...(site.fn ? { fn: site.fn } : {}) };
        buffer.push(entry);
        if (!running && !timer) {
          timer = setTimeout(start, flushDelay);
          // A logger must not keep a finished program alive; call flush() before exiting.
          timer.unref();
        }
      } catch {
        /* logging must never break the caller */
      }
    };

  return {
    debug: make('debug'),
    log: make('log'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    flush(timeoutMs = 10_000) {
      if (buffer.size === 0 && !running) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(limit);
          resolve();
        };
        const limit = setTimeout(() => {
          const at = idle.indexOf(done);
          if (at !== -1) idle.splice(at, 1);
          resolve();
        }, timeoutMs);
        limit.unref();
        idle.push(done);
        if (timer) {
          clearTimeout(timer);
          timer = undefined;
        }
        if (!running) start();
      });
    },
    stats: () => ({ sent, dropped: buffer.droppedTotal + refused, buffered: buffer.size }),
  };
}
