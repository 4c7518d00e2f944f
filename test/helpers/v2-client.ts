import ioV2, { type V2Socket } from 'socket.io-client-v2';
import type { Message } from '../../packages/protocol';
import { connectUrl, type ConnectOptions } from './connect-client';

export type { V2Socket };

/**
 * A socket.io-client 2.5 connection (Engine.IO 3), opened the way the original SDK opened it:
 * `io(url + '?userid=..&username=..&source=..&room_ids=..&sign=..')`, no auth payload, no acks.
 * It records every event, so a test can assert on all that reached it.
 */
export interface V2Client {
  socket: V2Socket;
  /** [event, ...args] in arrival order (connect, newMsg, sys_error, refreshPage, disconnect, error, ...). */
  events: unknown[][];
  /** The first argument of each newMsg. */
  messages: Message[];
  /** Resolves with the first argument of the next `event` that arrives from now on. */
  next(event: string, ms?: number): Promise<unknown>;
  /** Resolves once `check` holds (checked on each event). */
  until(check: () => boolean, what: string, ms?: number): Promise<void>;
  close(): void;
}

const RECORDED = ['connect', 'disconnect', 'newMsg', 'sys_error', 'refreshPage', 'error', 'connect_error', 'reconnect_attempt'];

export function openV2(base: string, o: ConnectOptions & { transports?: string[]; reconnection?: boolean } = {}): V2Client {
  const socket = ioV2(connectUrl(base, o), { transports: o.transports ?? ['websocket'], reconnection: o.reconnection ?? false, forceNew: true });
  const events: unknown[][] = [];
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  for (const event of RECORDED) {
    socket.on(event, (...args: unknown[]) => {
      events.push([event, ...args]);
      if (event === 'newMsg') messages.push(args[0] as Message);
      for (const w of [...waiters]) w();
    });
  }
  const until = (check: () => boolean, what: string, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const w = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(w);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; events: ${JSON.stringify(events).slice(0, 2000)}`));
      }, ms);
      waiters.add(w);
      w();
    });
  return {
    socket,
    events,
    messages,
    async next(event, ms) {
      const from = events.length;
      let hit: unknown[] | undefined;
      await until(() => (hit = events.slice(from).find((e) => e[0] === event)) !== undefined, `"${event}"`, ms);
      return hit![1];
    },
    until,
    close: () => socket.close(),
  };
}

/** Opens a v2 client and waits for its `connect`; rejects on `error` (the ERROR packet of a refused handshake). */
export async function connectV2(base: string, o: Parameters<typeof openV2>[1] = {}): Promise<V2Client> {
  const c = openV2(base, o);
  await c.until(() => c.events.some((e) => e[0] === 'connect' || e[0] === 'error' || e[0] === 'connect_error'), 'connect');
  const failed = c.events.find((e) => e[0] === 'error' || e[0] === 'connect_error');
  if (failed) {
    c.close();
    throw new Error(`v2 client did not connect: ${JSON.stringify(failed)}`);
  }
  return c;
}
