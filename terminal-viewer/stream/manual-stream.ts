import type { Message } from '../../packages/protocol';
import type { ConnectionStatus, LogStreamSource, NoticeLevel, StreamListener } from './types';

/** A stream fed by hand: for component tests, the headless renderer and benchmarks. */
export interface ManualStream extends LogStreamSource {
  push(messages: Message[], origin?: 'live' | 'history'): void;
  setStatus(status: ConnectionStatus): void;
  notice(text: string, level?: NoticeLevel): void;
  readonly listenerCount: number;
}

export function createManualStream(initial: ConnectionStatus = { state: 'connected', catchingUp: false }): ManualStream {
  const listeners = new Set<StreamListener>();
  let status = initial;
  return {
    subscribe(listener) {
      listeners.add(listener);
      listener.status?.(status);
      return () => listeners.delete(listener);
    },
    push(messages, origin = 'live') {
      for (const l of listeners) l.messages?.(messages, origin);
    },
    setStatus(next) {
      status = next;
      for (const l of listeners) l.status?.(next);
    },
    notice(text, level = 'info') {
      for (const l of listeners) l.notice?.(text, level);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
