import { useEffect, type Dispatch } from 'react';
import type { Message } from '../../packages/protocol';
import type { Action } from '../state/reducer';
import type { LogStreamSource } from '../stream/types';

/** Default time messages wait to be applied together: one state update and one render per batch. */
export const DEFAULT_BATCH_MS = 32;

/**
 * Turns a stream's events into reducer actions. Messages are batched (one `append` every
 * `batchMs`), so thousands of messages a second cost tens of renders, not thousands.
 */
export function useLogStream(
  stream: LogStreamSource,
  dispatch: Dispatch<Action>,
  batchMs: number = DEFAULT_BATCH_MS,
  now: () => number = Date.now,
): void {
  useEffect(() => {
    let pending: Message[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (pending.length === 0) return;
      const messages = pending;
      pending = [];
      dispatch({ type: 'append', messages, receivedAt: now() });
    };
    const unsubscribe = stream.subscribe({
      messages(messages) {
        // A loop, not push(...messages): a history page can be large.
        for (const m of messages) pending.push(m);
        timer ??= setTimeout(flush, batchMs);
      },
      status(status) {
        dispatch({ type: 'status', status });
      },
      notice(text, level) {
        // Keep the notice after the messages that came before it.
        flush();
        dispatch({ type: 'notice', text, level, at: now() });
      },
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [stream, dispatch, batchMs, now]);
}
