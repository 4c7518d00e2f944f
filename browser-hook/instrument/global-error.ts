import type { CallSite, Recorder } from './types';
import { callerFrame } from '../../packages/log-core';

/**
 * Uncaught errors, seen two ways: `window.onerror` (chained to the handler that was there
 * before, whose return value still decides whether the browser prints the error) and an
 * `error` listener (which still works when a later script overwrites `onerror` without
 * chaining). Each error is recorded once.
 */
export function instrumentGlobalErrors(win: Window, record: Recorder): () => void {
  const previous = win.onerror;
  const seenEvents = new WeakSet<object>();
  let last: unknown;
  let lastTimer: ReturnType<typeof setTimeout> | undefined;
  let active = true;

  // True the second time the same error shows up in the same task (handler and listener both run).
  const duplicate = (event: unknown, key: unknown): boolean => {
    if (event && typeof event === 'object') {
      if (seenEvents.has(event)) return true;
      seenEvents.add(event);
    }
    if (last !== undefined && last === key) return true;
    last = key;
    if (lastTimer === undefined) {
      lastTimer = setTimeout(() => {
        last = undefined;
        lastTimer = undefined;
      }, 0);
    }
    return false;
  };

  const report = (event: unknown, message: unknown, file: unknown, line: unknown, col: unknown, error: unknown) => {
    const key = error !== null && typeof error === 'object' ? error : `${String(message)}|${String(file)}|${String(line)}|${String(col)}`;
    if (duplicate(event, key)) return;
    let callSite: CallSite | undefined;
    if (typeof file === 'string' && file !== '') {
      callSite = { file, line: Number(line) || 0, col: Number(col) || 0 };
    } else if (error instanceof Error) {
      callSite = callerFrame(error.stack, 0);
    }
    record({
      level: 'error',
      method: 'onerror',
      args: error !== undefined && error !== null ? ['Uncaught', error] : [String(message)],
      callSite,
    });
  };

  const handler: OnErrorEventHandler = function (this: unknown, message, file, line, col, error) {
    if (active) {
      try {
        report((win as unknown as { event?: Event }).event, message, file, line, col, error);
      } catch {
        /* never let the hook fail the page's error handling */
      }
    }
    if (typeof previous === 'function') {
      // eslint-disable-next-line prefer-rest-params
      return previous.apply(this, arguments as unknown as Parameters<OnErrorEventHandlerNonNull>);
    }
    return false;
  };
  win.onerror = handler;

  const listener = (event: Event) => {
    if (!active || !(event instanceof ErrorEvent) || event.target !== win) return;
    try {
      report(event, event.message, event.filename, event.lineno, event.colno, event.error);
    } catch {
      /* as above */
    }
  };
  win.addEventListener('error', listener, true);

  return () => {
    active = false;
    win.removeEventListener('error', listener, true);
    if (lastTimer !== undefined) clearTimeout(lastTimer);
    // If another script chained onto ours since, keep ours in place (inert) so theirs still works.
    if (win.onerror === handler) win.onerror = previous;
  };
}
