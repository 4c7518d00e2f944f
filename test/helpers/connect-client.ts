import { io, type Socket } from 'socket.io-client';
import type { AckResult, ClientToServerEvents, ServerToClientEvents } from '../../packages/protocol';
import { legacyConnectSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectOptions {
  source?: string;
  roomIds?: string;
  userid?: string;
  username?: string;
  signKey?: string;
  /** Overrides the computed sign. */
  sign?: string;
  extra?: Record<string, string>;
  /** Socket.IO client options. */
  options?: Parameters<typeof io>[1];
}

/** The contract's connect URL: `base?userid=..&username=..&source=..&room_ids=..&sign=..&ext_info=`. */
export function connectUrl(base: string, o: ConnectOptions = {}): string {
  const source = o.source ?? 'demo';
  const roomIds = o.roomIds ?? 'room1';
  const key = o.signKey ?? (DEMO_SOURCES as Record<string, { signKey: string }>)[source]?.signKey ?? 'unknown-key';
  const q = new URLSearchParams({
    userid: o.userid ?? '1305',
    username: o.username ?? 'spring',
    source,
    room_ids: roomIds,
    sign: o.sign ?? legacyConnectSign(source, roomIds, key),
    ext_info: '',
    ...o.extra,
  });
  return `${base}?${q.toString()}`;
}

/** Opens a real socket.io-client connection (websocket only unless told otherwise). */
export function openClient(base: string, o: ConnectOptions = {}): TestSocket {
  return io(connectUrl(base, o), { transports: ['websocket'], reconnection: false, forceNew: true, ...o.options });
}

/** Resolves with the socket once connected; closes it and rejects with the connect_error. */
export function whenConnected(socket: TestSocket): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Connects and resolves once connected; rejects with the connect_error. */
export function connectClient(base: string, o: ConnectOptions = {}): Promise<TestSocket> {
  return whenConnected(openClient(base, o));
}

/** Emits `event` with `args` and resolves with the server's acknowledgement (any event, typed or not). */
export function emitAck<T = undefined>(socket: TestSocket, event: string, ...args: unknown[]): Promise<AckResult<T>> {
  return new Promise((resolve) => (socket.emit as any)(event, ...args, resolve));
}
