import { callerFrame, formatFrames, parseStack } from '../packages/log-core';
import { completeFromTiming } from './instrument/timing';
import type { InstallOptions } from './options';
import { CAPTURE, NET, type Pending } from './record';
import type { DebugEntry, Guard } from './instrument/types';

export interface FinalizeOptions {
  win: Window;
  guard: Guard;
  /** Files whose frames are never a call site. */
  ignoreFiles: readonly string[];
  beforeSend: InstallOptions['beforeSend'];
  maxEntryBytes: number;
  /** The hook's own warning, past the console wrapper. */
  diag(level: 'warn' | 'info', message: string): void;
}

function byteLength(text: string): number {
  return typeof TextEncoder !== 'undefined' ? new TextEncoder().encode(text).length : text.length * 3;
}

/**
 * The expensive, deferred part of an entry, done when it is sent: stack parsing, page details,
 * beforeSend, size cut. Entries given back after a failed send come through again: the work is done once.
 */
export function createFinalize({ win, guard, ignoreFiles, beforeSend, maxEntryBytes, diag }: FinalizeOptions): (entry: DebugEntry) => DebugEntry | null {
  const finalized = new WeakSet<DebugEntry>();
  return (entry) => {
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
      if (beforeSend) {
        try {
          const changed = beforeSend(entry);
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
}
