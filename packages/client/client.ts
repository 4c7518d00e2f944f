import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  AckResult,
  ClientToServerEvents,
  ErrorPayload,
  HistoryRequest,
  HistoryResult,
  Message,
  NavigationKind,
  NoticePayload,
  PageView,
  ServerToClientEvents,
} from '../protocol';
import { createCatchUp } from './catch-up';
import { collectClientInfo, currentPageView, inBrowser, watchNavigations } from './page-tracking';
import { createSendQueue } from './send-queue';

export type ImClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Where an error came from: the server refused the handshake (bad sign, missing parameter…),
 * the server reported one (`sys_error`), or a message could not be sent.
 */
export type ClientErrorKind = 'handshake' | 'server' | 'send';

export interface ClientError {
  kind: ClientErrorKind;
  /** The server's machine-readable code when it sent one (see packages/protocol/errors.ts). */
  code?: ErrorPayload['code'];
  /** Human-readable; for a refused handshake, the contract's message (e.g. `sign verify failed!`). */
  message: string;
}

export interface ConnectInfo {
  /** False on the first connect of this client. */
  reconnect: boolean;
  /**
   * Always false: the server runs without Socket.IO's connection state recovery, and every
   * reconnect catches up from room history. Kept so existing callbacks keep working.
   */
  recovered: boolean;
}

export interface ClientOptions {
  /** Each `newMsg`, in order, once (missed ones after a reconnect included). */
  onMessage?: (message: Message) => void;
  /** Every connect, reconnects included. */
  onConnect?: (socket: ImClientSocket, info: ConnectInfo) => void;
  onDisconnect?: (reason: string) => void;
  onError?: (error: ClientError) => void;
  /**
   * A notice from the server that ends nothing (`sys_notice`), e.g. SLOW_CONSUMER: the last
   * connection was closed because it did not read what the server sent; the client has
   * reconnected and catches up from history. Without this option it goes to console.warn.
   */
  onNotice?: (notice: NoticePayload) => void;
  /** Before each reconnect attempt (1, 2, …). */
  onReconnectAttempt?: (attempt: number) => void;
  /** `maxReconnectAttempts` attempts failed in a row: the client is closed. */
  onReconnectFailed?: () => void;
  /** After a reconnect, some messages of `roomId` could not be recovered (older than the server keeps). */
  onGap?: (roomId: string) => void;
  /** The server asked the page to reload (`refreshPage`); return false to stop the reload. */
  onRefresh?: () => boolean | void;
  /** Reload the page on `refreshPage` (default: true in a browser; never in Node). */
  reloadOnRefresh?: boolean;
  /** Failed reconnect attempts in a row before the client gives up (default 10; Infinity: never). */
  maxReconnectAttempts?: number;
  /** First reconnect delay in ms (default 1000), doubled per attempt up to `reconnectionDelayMax` (default 5000). */
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  /**
   * Messages `send` keeps while disconnected (default 50); more are refused with an error. The
   * queue is flushed at once on reconnect, so keep it under the server's per-connection event
   * rate (`rateLimits.perConnection`, default 100 per second).
   */
  queueSize?: number;
  /** How long `send` and history requests wait for the server's answer, in ms (default 10000). */
  ackTimeout?: number;
  /** Fetch missed messages from room history: after a reconnect, and when a live message shows one was missed (default true). */
  catchUp?: boolean;
  /** Report browser info on connect (`clientInfo`; default true in a browser). */
  clientInfo?: boolean;
  /** Report navigations, single-page-app ones included (`pageView`; default true in a browser). */
  pageViews?: boolean;
  /** Passed to socket.io-client's `io()` (transports, path, …). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type SendResult = AckResult;

export interface ImClient {
  /** The socket.io-client socket (the contract's `connected_callback` hands it to pages). */
  readonly socket: ImClientSocket;
  readonly state: ClientState;
  /**
   * Sends `data` to the rooms (comma-separated or a list) of this client's source. While
   * disconnected the message waits in a bounded queue and goes out, in order, on reconnect.
   * Resolves with the server's answer; never rejects.
   */
  send(data: unknown, roomIds: string | readonly string[]): Promise<SendResult>;
  /** Recent messages of a room this client joined. */
  history(request: HistoryRequest): Promise<AckResult<HistoryResult>>;
  /** Disconnects for good; unsent messages are dropped (and reported once through onError). */
  close(): void;
}

export const DEFAULT_CLIENT_OPTIONS = {
  maxReconnectAttempts: 10,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  queueSize: 50,
  ackTimeout: 10_000,
} as const;

/** Page views kept while disconnected (only the latest matter to presence). */
const MAX_PENDING_VIEWS = 20;
/** A history read refused as RATE_LIMITED (a big flush on reconnect) is retried this often, this long apart. */
const HISTORY_RETRIES = 5;
const HISTORY_RETRY_MS = 1000;

interface Pending {
  data: unknown;
  rooms: string;
  resolve: (result: SendResult) => void;
}

const failure = (code: ErrorPayload['code'], message: string): SendResult => ({ ok: false, error: { code, message } });

/**
 * A random id for this client, kept across its reconnects (`im_client` in the query): the
 * server tells a client it cut as a slow consumer why, on its next handshake. Not a secret.
 */
export function newClientId(): string {
  const bytes = new Uint8Array(12);
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `url` with `im_client=<id>` added to its query (the URL's own `im_client` wins). */
export function withClientId(url: string, id: string): string {
  if (/[?&]im_client=/.test(url)) return url;
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}im_client=${id}${hash >= 0 ? url.slice(hash) : ''}`;
}

/** The room ids in a connect URL's `room_ids`, so rooms with no message yet can still catch up. */
export function roomsOfUrl(url: string): string[] {
  try {
    const base = typeof location !== 'undefined' ? location.href : 'http://localhost/';
    const raw = new URL(url, base).searchParams.get('room_ids') ?? '';
    return raw
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
  } catch {
    return [];
  }
}

/**
 * Calls an application callback; an exception in it must not break the client's bookkeeping,
 * so it is rethrown asynchronously (it still reaches window.onerror / the console).
 */
function call<A extends unknown[], R>(fn: ((...args: A) => R) | undefined, ...args: A): R | undefined {
  if (!fn) return undefined;
  try {
    return fn(...args);
  } catch (err) {
    setTimeout(() => {
      throw err;
    });
    return undefined;
  }
}

/**
 * A connection to the relay: `url` is the contract's signed connect URL
 * (`http://host:4000?userid=..&username=..&source=..&room_ids=..&sign=..`).
 */
export function createClient(url: string, options: ClientOptions = {}): ImClient {
  // Keys given as undefined keep their defaults.
  const o: Record<string, unknown> = { ...DEFAULT_CLIENT_OPTIONS };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) o[key] = value;
  return start(url, o as unknown as ResolvedOptions);
}

type ResolvedOptions = ClientOptions & { [K in keyof typeof DEFAULT_CLIENT_OPTIONS]: number };

function start(url: string, o: ResolvedOptions): ImClient {
  const browser = inBrowser();
  const maxAttempts = o.maxReconnectAttempts >= 1 ? o.maxReconnectAttempts : 1;
  const socket: ImClientSocket = io(withClientId(url, newClientId()), {
    forceNew: true,
    reconnectionAttempts: maxAttempts,
    reconnectionDelay: o.reconnectionDelay,
    reconnectionDelayMax: o.reconnectionDelayMax,
    ...o.socketOptions,
  });
  // Typed view for acknowledged emits with a timeout (the event maps' acks are optional).
  const timed = () => socket.timeout(o.ackTimeout) as unknown as {
    emit(event: string, ...args: unknown[]): void;
  };

  let state: ClientState = 'connecting';
  let everConnected = false;
  const queue = createSendQueue<Pending>(o.queueSize);
  const catchUp = createCatchUp(
    roomsOfUrl(url),
    o.catchUp === false ? {} : { onLiveGap: (request) => fetchHistory(request, catchUp.round) },
  );
  const pendingViews: PageView[] = [];
  const wantViews = o.pageViews ?? browser;
  const stopWatching = wantViews && browser ? watchNavigations((nav) => reportView(nav)) : undefined;

  const deliver = (messages: Message[]) => {
    for (const m of messages) call(o.onMessage, m);
  };

  function emitPost(p: Pending): void {
    timed().emit('postMsg', p.data, p.rooms, (err: Error | null, res: SendResult) => {
      if (err) {
        p.resolve(failure('UNAVAILABLE', `message not confirmed by the server (${err.message}); it may not have been delivered`));
      } else {
        p.resolve(res && typeof res === 'object' ? res : failure('INTERNAL', 'unexpected answer from the server'));
      }
    });
  }

  function fetchHistory(request: HistoryRequest, round: number, retries = HISTORY_RETRIES): void {
    timed().emit('history', request, (err: Error | null, res: AckResult<HistoryResult>) => {
      if (err) {
        // Disconnected mid-way: the next connect asks again from the same position.
        if (socket.connected) {
          deliver(catchUp.abandon(request.room_id, round));
          call(o.onGap, request.room_id);
        }
        return;
      }
      if (!res?.ok && res?.error?.code === 'RATE_LIMITED' && retries > 0) {
        setTimeout(() => {
          if (socket.connected && catchUp.round === round) fetchHistory(request, round, retries - 1);
        }, HISTORY_RETRY_MS);
        return;
      }
      if (!res?.ok) {
        deliver(catchUp.abandon(request.room_id, round));
        call(o.onGap, request.room_id);
        return;
      }
      const step = catchUp.page(res.result, round);
      deliver(step.deliver);
      if (step.gap) call(o.onGap, request.room_id);
      if (step.next) fetchHistory(step.next, round);
    });
  }

  function sendQuietly(event: 'clientInfo' | 'pageView', payload: unknown): void {
    // With an ack, so a server that refuses or lacks the event never answers with sys_error.
    timed().emit(event, payload, () => undefined);
  }

  function reportView(nav: NavigationKind): void {
    const view = currentPageView(nav);
    if (state === 'connected') sendQuietly('pageView', view);
    else {
      if (pendingViews.length >= MAX_PENDING_VIEWS) pendingViews.shift();
      pendingViews.push(view);
    }
  }

  function finish(): void {
    if (state === 'closed') return;
    state = 'closed';
    stopWatching?.();
    socket.disconnect();
    const dropped = queue.drain();
    if (dropped.length > 0) {
      call(o.onError, {
        kind: 'send',
        code: 'UNAVAILABLE',
        message: `${dropped.length} queued message(s) were not sent: the connection was closed`,
      });
      for (const p of dropped) p.resolve(failure('UNAVAILABLE', 'not sent: the connection was closed'));
    }
  }

  socket.on('connect', () => {
    state = 'connected';
    const reconnect = everConnected;
    everConnected = true;
    // Queued messages go first, so anything sent from onConnect comes after them.
    for (const p of queue.drain()) emitPost(p);
    if (o.catchUp !== false && !socket.recovered) {
      const requests = catchUp.begin();
      for (const request of requests) fetchHistory(request, catchUp.round);
    }
    if (browser && (o.clientInfo ?? true)) sendQuietly('clientInfo', collectClientInfo());
    if (wantViews && browser) {
      if (!reconnect) sendQuietly('pageView', currentPageView('load'));
      for (const view of pendingViews.splice(0)) sendQuietly('pageView', view);
    }
    call(o.onConnect, socket, { reconnect, recovered: socket.recovered });
  });

  socket.on('connect_error', (err: Error & { data?: Partial<ErrorPayload> }) => {
    // Socket.IO retries transport failures by itself (counted as reconnect attempts). A refusal
    // by the server's handshake check leaves the socket inactive: retrying would fail the same
    // way, so report it and close.
    if (socket.active) return;
    call(o.onError, { kind: 'handshake', code: err.data?.code, message: err.data?.message ?? err.message });
    finish();
  });

  socket.on('disconnect', (reason) => {
    if (state === 'closed') return;
    // The server ended the session on purpose: Socket.IO does not reconnect, and neither do we.
    if (reason === 'io server disconnect' || reason === 'io client disconnect') {
      call(o.onDisconnect, reason);
      finish();
      return;
    }
    state = 'reconnecting';
    call(o.onDisconnect, reason);
  });

  socket.on('newMsg', (message) => deliver(catchUp.receive(message)));
  socket.on('sys_error', (message) => call(o.onError, { kind: 'server', message: String(message) }));
  socket.on('sys_notice', (notice) => {
    if (!notice || typeof notice !== 'object') return;
    if (o.onNotice) call(o.onNotice, notice);
    else if (typeof console !== 'undefined') console.warn(`[im] ${notice.code}: ${notice.message}`);
  });
  socket.on('refreshPage', () => {
    const verdict = call(o.onRefresh);
    if (verdict !== false && (o.reloadOnRefresh ?? browser) && typeof location !== 'undefined') location.reload();
  });

  socket.io.on('reconnect_attempt', (attempt) => {
    if (state !== 'closed') state = 'reconnecting';
    call(o.onReconnectAttempt, attempt);
  });
  socket.io.on('reconnect_failed', () => {
    if (state === 'closed') return;
    finish();
    call(o.onReconnectFailed);
  });

  return {
    socket,
    get state() {
      return state;
    },
    send(data, roomIds) {
      const rooms = typeof roomIds === 'string' ? roomIds : Array.isArray(roomIds) ? roomIds.join(',') : String(roomIds ?? '');
      return new Promise<SendResult>((resolve) => {
        if (state === 'closed') {
          resolve(failure('UNAVAILABLE', 'not sent: the connection is closed (connect again first)'));
          return;
        }
        const pending: Pending = { data, rooms, resolve };
        if (state === 'connected' && socket.connected) emitPost(pending);
        else if (!queue.push(pending)) {
          resolve(failure('UNAVAILABLE', `not sent: ${queue.capacity} messages are already waiting for the connection`));
        }
      });
    },
    history(request) {
      return new Promise((resolve) => {
        if (!socket.connected) {
          resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'not connected' } });
          return;
        }
        timed().emit('history', request, (err: Error | null, res: AckResult<HistoryResult>) =>
          resolve(err ? { ok: false, error: { code: 'UNAVAILABLE', message: err.message } } : res),
        );
      });
    },
    close: finish,
  };
}
