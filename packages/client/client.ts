import { io } from 'socket.io-client';
import type { AckResult, ErrorPayload, HistoryRequest, HistoryResult, Message, NavigationKind, PageView } from '../protocol';
import { createCatchUp } from './catch-up';
import { DEFAULT_CLIENT_OPTIONS, type ClientOptions, type ClientState, type ImClient, type ImClientSocket, type SendResult } from './client-options';
import { newClientId, roomsOfUrl, withClientId } from './connect-url';
import { collectClientInfo, currentPageView, inBrowser, watchNavigations } from './page-tracking';
import { createSendQueue } from './send-queue';

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
