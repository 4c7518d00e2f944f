import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { createCatchUp, gapText } from '../../packages/client';
import { asMessage, noticePayloadSchema, readHistoryAck, type ClientToServerEvents, type HistoryRequest, type HistoryResult, type Message, type ServerToClientEvents } from '../../packages/protocol';
import type { ConnectionStatus, LogStreamSource, NoticeLevel, StreamListener } from './types';

/**
 * Reads rooms over a normal signed connection and hands their messages to listeners, in order
 * and without duplicates, across reconnects, with the SDK's room cursor (packages/client
 * `createCatchUp`): the last position of each room, what was missed read with `history` after a
 * reconnect while live messages are held back, a new epoch or a truncated read told as a notice
 * (`gapText`), never hidden.
 */

export interface SocketStreamOptions {
  server: string;
  source: string;
  rooms: readonly string[];
  /**
   * The connect sign for `rooms.join(',')`: a fixed (legacy) sign that goes in the query, or a
   * function giving fresh sign fields for Socket.IO's `auth` on every connection attempt (a
   * strong sign is accepted once, so a reconnect needs a new one).
   */
  sign: string | (() => Record<string, string>);
  userid?: string;
  username?: string;
  /** On the first connection, show the last `tail` messages of each room. */
  tail?: number;
  /** On the first connection, show the messages since this time (ms since the epoch). */
  since?: number;
  /** First delay before reconnecting; doubles up to `reconnectDelayMaxMs`. */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Messages asked for per history read (and shown per room on a first connection with `since` and no `tail`). */
  historyPage?: number;
  /** How long a history read may take. */
  ackTimeoutMs?: number;
}

export interface SocketLogStream extends LogStreamSource {
  readonly status: ConnectionStatus;
  close(): void;
}

type ViewerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Handshake refusals worth retrying: the server is busy or shutting down, not refusing us. */
const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'TOO_MANY_CONNECTIONS', 'INTERNAL']);

class HistoryError extends Error {}

/** "websocket error" says little; the underlying error says "connect ECONNREFUSED 127.0.0.1:4000". */
function transportReason(err: Error & { description?: unknown }): string {
  const d = err.description as { message?: unknown } | undefined;
  return d && typeof d.message === 'string' && d.message ? d.message : err.message;
}

export function createSocketLogStream(opts: SocketStreamOptions): SocketLogStream {
  const listeners = new Set<StreamListener>();
  const page = opts.historyPage ?? 500;
  const baseDelay = opts.reconnectDelayMs ?? 500;
  const maxDelay = opts.reconnectDelayMaxMs ?? 5000;
  let status: ConnectionStatus = { state: 'connecting', attempt: 0 };
  let socket: ViewerSocket | undefined;
  let closed = false;
  let everConnected = false;
  let generation = 0;
  let attempt = 0;
  let manualTimer: NodeJS.Timeout | undefined;
  const clientId = randomBytes(12).toString('hex');

  const setStatus = (next: ConnectionStatus) => {
    status = next;
    for (const l of listeners) l.status?.(next);
  };
  const notice = (text: string, level: NoticeLevel) => {
    for (const l of listeners) l.notice?.(text, level);
  };
  const emit = (messages: Message[], origin: 'live' | 'history') => {
    if (messages.length === 0) return;
    for (const l of listeners) l.messages?.(messages, origin);
  };

  const read = async (s: ViewerSocket, request: HistoryRequest): Promise<HistoryResult> => {
    const raw: unknown = await s.timeout(opts.ackTimeoutMs ?? 10_000).emitWithAck('history', request);
    const ack = readHistoryAck(raw);
    if (!ack) throw new HistoryError('the server answered the history request with something unexpected');
    if (!ack.ok) throw new HistoryError(`${ack.error.message} (${ack.error.code})`);
    return ack.result;
  };

  // The SDK's room cursor (packages/client catch-up): positions, held live messages, gaps.
  const initial = opts.tail !== undefined || opts.since !== undefined ? { limit: opts.tail ?? page, ...(opts.since !== undefined ? { sinceTime: opts.since } : {}) } : undefined;
  const catchUp = createCatchUp(opts.rooms, { pageSize: page, ...(initial ? { initial } : {}) });

  /** Reads one room's history page by page; resolves with the missed messages it delivered. */
  const syncRoom = async (s: ViewerSocket, first: HistoryRequest, round: number, gen: number): Promise<number> => {
    const stale = () => round !== catchUp.round || gen !== generation;
    const room = first.room_id;
    const showing = first.since === undefined && first.limit !== 1;
    let missed = 0;
    let shown = 0;
    let request: HistoryRequest | undefined = first;
    try {
      while (request) {
        const res = await read(s, request);
        if (stale()) return missed;
        const step = catchUp.page(res, round);
        const fromHistory = new Set(res.messages);
        const history = step.deliver.filter((m) => fromHistory.has(m));
        emit(history, 'history');
        emit(step.deliver.filter((m) => !fromHistory.has(m)), 'live');
        if (showing) shown += history.length;
        else missed += history.length;
        if (step.gapKind) notice(`#${room}: ${gapText(step.gapKind)}`, 'warn');
        request = step.next;
      }
      if (showing && opts.since !== undefined && shown >= (opts.tail ?? page)) {
        notice(`#${room}: showing the newest ${shown} messages of the period; older ones were not read`, 'info');
      }
    } catch (err) {
      if (!stale()) {
        const why = err instanceof HistoryError ? err.message : (err as Error).message || String(err);
        notice(`#${room}: history unavailable (${why}); showing live messages only`, 'warn');
        emit(catchUp.abandon(room, round), 'live');
      }
    }
    return missed;
  };

  const scheduleReconnect = (reason: string) => {
    attempt++;
    setStatus({ state: 'reconnecting', attempt, reason });
    const delay = Math.min(maxDelay, baseDelay * 2 ** Math.min(attempt - 1, 10));
    clearTimeout(manualTimer);
    manualTimer = setTimeout(() => {
      if (!closed) socket?.connect();
    }, delay * (0.8 + Math.random() * 0.4));
  };

  const connect = () => {
    const fresh = typeof opts.sign === 'function' ? opts.sign : undefined;
    const s: ViewerSocket = io(opts.server, {
      query: {
        userid: opts.userid ?? 'im-debug',
        username: opts.username ?? 'im-debug',
        source: opts.source,
        room_ids: opts.rooms.join(','),
        ...(typeof opts.sign === 'string' ? { sign: opts.sign } : {}),
        ext_info: 'im-debug',
        // Kept across reconnects: the server says why it cut a connection (SLOW_CONSUMER).
        im_client: clientId,
      },
      // Called by socket.io-client before each (re)connect, the manual ones included.
      ...(fresh ? { auth: (cb: (data: object) => void) => cb(fresh()) } : {}),
      // WebSocket only: Node always has it, and its errors say what is wrong (ECONNREFUSED...).
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: baseDelay,
      reconnectionDelayMax: maxDelay,
      randomizationFactor: 0.3,
    });
    socket = s;

    s.on('connect', () => {
      const first = !everConnected;
      everConnected = true;
      attempt = 0;
      const gen = ++generation;
      setStatus({ state: 'connected', catchingUp: true });
      const requests = catchUp.begin();
      const round = catchUp.round;
      Promise.all(requests.map((r) => syncRoom(s, r, round, gen))).then((missed) => {
        if (gen !== generation || closed) return;
        if (!first) {
          const n = missed.reduce((a, b) => a + b, 0);
          notice(`reconnected; ${n} missed message${n === 1 ? '' : 's'} read from history`, 'info');
        }
        setStatus({ state: 'connected', catchingUp: false });
      });
    });

    // Messages of rooms we did not ask for (or without a position) pass straight through.
    s.on('newMsg', (raw: unknown) => emit(catchUp.receive(asMessage(raw)), 'live'));

    s.on('sys_error', (text: unknown) => notice(`server: ${String(text)}`, 'error'));
    s.on('sys_notice', (n: unknown) => {
      const known = noticePayloadSchema.safeParse(n);
      if (known.success && known.data.code === 'SLOW_CONSUMER') {
        notice('SLOW_CONSUMER: the server closed the last connection because this viewer did not read fast enough; missed messages are read from history', 'warn');
        return;
      }
      // A notice this viewer does not know (a newer server's): shown as it came.
      const { code, message } = (n && typeof n === 'object' ? n : {}) as { code?: unknown; message?: unknown };
      if (typeof code === 'string') notice(`server: ${code}: ${String(message ?? '')}`, 'warn');
    });

    s.on('disconnect', (reason) => {
      if (closed) return;
      generation++;
      notice(`disconnected (${reason}); reconnecting`, 'warn');
      // After a server-side disconnect Socket.IO does not reconnect by itself.
      if (reason === 'io server disconnect') scheduleReconnect(reason);
      else setStatus({ state: 'reconnecting', attempt, reason });
    });

    s.io.on('reconnect_attempt', (n: number) => {
      if (closed) return;
      attempt = n;
      setStatus({ state: 'reconnecting', attempt: n, reason: status.state === 'reconnecting' ? status.reason : undefined });
    });

    s.on('connect_error', (err: Error & { data?: { code?: string }; description?: unknown }) => {
      if (closed) return;
      const reason = transportReason(err);
      const code = typeof err.data?.code === 'string' ? err.data.code : undefined;
      if (!s.active) {
        // The handshake was refused: retrying a bad sign would never help.
        if (code && RETRYABLE.has(code)) scheduleReconnect(`${err.message} (${code})`);
        else setStatus({ state: 'error', message: err.message, code });
        return;
      }
      if (everConnected) setStatus({ state: 'reconnecting', attempt, reason });
      else setStatus({ state: 'connecting', attempt, error: reason });
    });
  };

  return {
    get status() {
      return status;
    },
    subscribe(listener) {
      listeners.add(listener);
      listener.status?.(status);
      if (!socket && !closed) connect();
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      generation++;
      clearTimeout(manualTimer);
      socket?.disconnect();
      setStatus({ state: 'closed' });
      listeners.clear();
    },
  };
}
