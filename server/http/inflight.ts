import type { ServerResponse } from 'node:http';
import { ImError } from '../../packages/protocol';
import { sendError } from './error-handler';

/**
 * The requests being answered, for a graceful shutdown: the Express app and the routes served
 * before it (server/http/notify.ts) both admit a request here first.
 */
export interface Inflight {
  /**
   * Counts the request until its response closes; while draining, answers 503 (and closes the
   * connection) instead, and returns false.
   */
  admit(res: ServerResponse): boolean;
  readonly count: number;
  readonly draining: boolean;
  /** From now on refuse new requests. */
  drain(): void;
  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void>;
}

export function createInflight(): Inflight {
  let count = 0;
  let draining = false;
  const waiting: Array<() => void> = [];
  // One function for every response, not a closure per request.
  function done(): void {
    count--;
    if (count === 0) waiting.splice(0).forEach((fn) => fn());
  }
  return {
    admit(res) {
      if (draining) {
        res.setHeader('Connection', 'close');
        sendError(res, new ImError('UNAVAILABLE', 'server is shutting down'));
        return false;
      }
      count++;
      // Emitted once per response, after 'finish' or when the client left first.
      res.once('close', done);
      return true;
    },
    get count() {
      return count;
    },
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    idle() {
      return count === 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
