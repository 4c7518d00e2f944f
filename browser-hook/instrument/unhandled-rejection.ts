import { callerFrame } from '../../packages/log-core';
import type { Recorder } from './types';

/** Promise rejections nobody handled, with the reason's own call site when it is an Error. */
export function instrumentUnhandledRejections(win: Window, record: Recorder): () => void {
  const listener = (event: PromiseRejectionEvent) => {
    try {
      const reason: unknown = event.reason;
      record({
        level: 'error',
        method: 'unhandledrejection',
        args: ['Uncaught (in promise)', reason],
        callSite: reason instanceof Error ? callerFrame(reason.stack, 0) : undefined,
      });
    } catch {
      /* never fail the page's event dispatch */
    }
  };
  win.addEventListener('unhandledrejection', listener);
  return () => win.removeEventListener('unhandledrejection', listener);
}
