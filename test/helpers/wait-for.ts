import type { Message } from '../../packages/protocol';
import type { TestSocket } from './connect-client';

/** Resolves with the first event's arguments; rejects after `ms` so a missing event fails fast. */
export function once<T = unknown>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  emitter: { once(event: any, fn: (...args: any[]) => void): unknown },
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for "${event}"`)), ms);
    emitter.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Collects `count` newMsg events, in arrival order. */
export function collectMessages(socket: TestSocket, count: number, ms = 5000): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const got: Message[] = [];
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms: ${got.length}/${count} messages`)),
      ms,
    );
    const on = (m: Message) => {
      got.push(m);
      if (got.length === count) {
        clearTimeout(timer);
        socket.off('newMsg', on);
        resolve(got);
      }
    };
    socket.on('newMsg', on);
  });
}

/** Polls `check` on each event-loop turn until it returns true (for state, not events). */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
