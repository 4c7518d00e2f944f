import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import type { ClientToServerEvents, HistoryRequest, Message, ServerToClientEvents } from '../../packages/protocol';
import type { ConnectionStatus, LogStreamSource, NoticeLevel, StreamListener } from './types';

/**
 * Reads rooms over a normal signed connection and hands their messages to listeners, in order
 * and without duplicates, across reconnects:
 * - it remembers the last position ({epoch, offset}) of each room;
 * - after a reconnect it reads what it missed with the `history` event, holding back live
 *   messages of that room until the read is done, then drops anything it has already passed;
 * - a new epoch (the server restarted, memory history) or a truncated read is reported as a
 *   notice, never hidden.
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
  /** Messages asked for per history read. */
  historyPage?: number;
  /** Most messages read back per room after one reconnect. */
  maxCatchUp?: number;
  /** How long a history read may take. */
  ackTimeoutMs?: number;
}

export interface SocketLogStream extends LogStreamSource {
  readonly status: ConnectionStatus;
  close(): void;
}

type ViewerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const messageSchema = z.looseObject({
  source: z.string(),
  room_id: z.string(),
  data: z.unknown(),
  offset: z.number().optional(),
  epoch: z.string().optional(),
  ts: z.number().optional(),
});

const historyAckSchema = z.union([
  z.object({
    ok: z.literal(true),
    result: z.object({
      room_id: z.string(),
      epoch: z.string(),
      messages: z.array(z.unknown()),
      truncated: z.boolean(),
      // Where to read on when the server cut the answer (its byte cap per answer).
      next: z.object({ room_id: z.string(), since: z.number(), epoch: z.string(), limit: z.number().optional() }).optional(),
    }),
  }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

/**
 * The message as received when it has the shape of one (kept as is, so `--json` is lossless);
 * anything else becomes a plain message carrying it, so nothing is dropped.
 */
export function toMessage(raw: unknown): Message {
  if (messageSchema.safeParse(raw).success) return raw as Message;
  return { source: '', room_id: '', data: raw };
}

/** Handshake refusals worth retrying: the server is busy or shutting down, not refusing us. */
const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'TOO_MANY_CONNECTIONS', 'INTERNAL']);

interface RoomCursor {
  epoch?: string;
  offset?: number;
  /** The offset is that of a message we saw (not the 0 of an empty room). */
  known: boolean;
  syncing: boolean;
  pending: Message[];
}

class HistoryError extends Error {}

/** "websocket error" says little; the underlying error says "connect ECONNREFUSED 127.0.0.1:4000". */
function transportReason(err: Error & { description?: unknown }): string {
  const d = err.description as { message?: unknown } | undefined;
  return d && typeof d.message === 'string' && d.message ? d.message : err.message;
}

export function createSocketLogStream(opts: SocketStreamOptions): SocketLogStream {
  const listeners = new Set<StreamListener>();
  const cursors = new Map<string, RoomCursor>(opts.rooms.map((r) => [r, { known: false, syncing: false, pending: [] }]));
  const page = opts.historyPage ?? 500;
  const maxCatchUp = opts.maxCatchUp ?? 10_000;
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

  /** True when the message is news for this room (and moves the room's position to it). */
  const accept = (cur: RoomCursor, m: Message): boolean => {
    if (typeof m.offset !== 'number' || typeof m.epoch !== 'string') return true;
    if (cur.epoch !== m.epoch || cur.offset === undefined || m.offset > cur.offset) {
      cur.epoch = m.epoch;
      cur.offset = m.offset;
      cur.known = true;
      return true;
    }
    return false;
  };

  const read = async (s: ViewerSocket, request: HistoryRequest) => {
    const raw: unknown = await s.timeout(opts.ackTimeoutMs ?? 10_000).emitWithAck('history', request);
    const parsed = historyAckSchema.safeParse(raw);
    if (!parsed.success) throw new HistoryError('the server answered the history request with something unexpected');
    if (!parsed.data.ok) throw new HistoryError(`${parsed.data.error.message} (${parsed.data.error.code})`);
    return { ...parsed.data.result, messages: parsed.data.result.messages.map(toMessage) };
  };

  /** Learns the room's current position without showing anything. */
  const position = async (s: ViewerSocket, room: string, cur: RoomCursor, gen: number) => {
    const res = await read(s, { room_id: room, limit: 1 });
    if (gen !== generation) return;
    const latest = res.messages.at(-1)?.offset;
    // A message that arrived live while we asked is news even if it is the latest one.
    const firstLive = cur.pending.find((m) => m.epoch === res.epoch && typeof m.offset === 'number')?.offset;
    cur.epoch = res.epoch;
    cur.offset = Math.min(latest ?? 0, firstLive !== undefined ? firstLive - 1 : Infinity);
    cur.known = latest !== undefined;
  };

  const initial = async (s: ViewerSocket, room: string, cur: RoomCursor, gen: number) => {
    const limit = opts.tail ?? page;
    let res = await read(s, { room_id: room, limit, ...(opts.since !== undefined ? { sinceTime: opts.since } : {}) });
    if (gen !== generation) return;
    if (res.messages.length === 0) {
      // An empty room (nothing kept at all): whatever comes next is news. A second read for
      // the position could see a message whose live copy is still on its way, and drop it.
      if (opts.since === undefined) {
        cur.epoch = res.epoch;
        cur.offset = 0;
        cur.known = false;
        return;
      }
      return position(s, room, cur, gen);
    }
    emit(res.messages.filter((m) => accept(cur, m)), 'history');
    // The server caps each answer in bytes: read on from its cursor until the newest.
    let shown = res.messages.length;
    while (res.next && shown < maxCatchUp) {
      res = await read(s, res.next);
      if (gen !== generation) return;
      emit(res.messages.filter((m) => accept(cur, m)), 'history');
      shown += res.messages.length;
    }
    if (opts.since !== undefined && shown >= limit) {
      notice(`#${room}: showing the newest ${shown} messages of the period; older ones were not read`, 'info');
    }
  };

  const catchUp = async (s: ViewerSocket, room: string, cur: RoomCursor, gen: number): Promise<number> => {
    let total = 0;
    for (let first = true; ; first = false) {
      const res = await read(s, { room_id: room, since: cur.offset!, epoch: cur.epoch!, limit: page });
      if (gen !== generation) return total;
      if (res.epoch !== cur.epoch) {
        notice(`#${room}: the server's history restarted (new epoch); messages sent while disconnected may be missing`, 'warn');
        cur.epoch = res.epoch;
        cur.offset = 0;
        cur.known = false;
      } else if (first && res.truncated && cur.known) {
        notice(`#${room}: some messages sent while disconnected are no longer kept by the server`, 'warn');
      }
      const fresh = res.messages.filter((m) => accept(cur, m));
      emit(fresh, 'history');
      total += fresh.length;
      // Done when the server says so (no cursor), or, from a server without cursors, a short page.
      if (fresh.length === 0 || (!res.next && res.messages.length < page)) return total;
      if (total >= maxCatchUp) {
        notice(`#${room}: read back ${total} missed messages; skipped the rest`, 'warn');
        return total;
      }
    }
  };

  const syncRoom = async (s: ViewerSocket, room: string, first: boolean, gen: number): Promise<number> => {
    const cur = cursors.get(room)!;
    cur.syncing = true;
    cur.pending = [];
    let missed = 0;
    try {
      if (cur.epoch !== undefined && cur.offset !== undefined) missed = await catchUp(s, room, cur, gen);
      else if (first && (opts.tail !== undefined || opts.since !== undefined)) await initial(s, room, cur, gen);
      else await position(s, room, cur, gen);
    } catch (err) {
      if (gen === generation) {
        const why = err instanceof HistoryError ? err.message : (err as Error).message || String(err);
        notice(`#${room}: history unavailable (${why}); showing live messages only`, 'warn');
      }
    } finally {
      if (gen === generation) {
        const pending = cur.pending;
        cur.pending = [];
        cur.syncing = false;
        emit(pending.filter((m) => accept(cur, m)), 'live');
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
      Promise.all(opts.rooms.map((room) => syncRoom(s, room, first, gen))).then((missed) => {
        if (gen !== generation || closed) return;
        if (!first) {
          const n = missed.reduce((a, b) => a + b, 0);
          notice(`reconnected; ${n} missed message${n === 1 ? '' : 's'} read from history`, 'info');
        }
        setStatus({ state: 'connected', catchingUp: false });
      });
    });

    s.on('newMsg', (raw: unknown) => {
      const m = toMessage(raw);
      const cur = cursors.get(m.room_id);
      if (!cur) return emit([m], 'live');
      if (cur.syncing) {
        // Bounded: a reader that cannot keep up loses the oldest held-back messages, not memory.
        if (cur.pending.length >= maxCatchUp) cur.pending.shift();
        cur.pending.push(m);
        return;
      }
      if (accept(cur, m)) emit([m], 'live');
    });

    s.on('sys_error', (text: unknown) => notice(`server: ${String(text)}`, 'error'));
    s.on('sys_notice', (n: unknown) => {
      const { code, message } = (n && typeof n === 'object' ? n : {}) as { code?: unknown; message?: unknown };
      if (code === 'SLOW_CONSUMER') {
        notice('SLOW_CONSUMER: the server closed the last connection because this viewer did not read fast enough; missed messages are read from history', 'warn');
      } else if (typeof code === 'string') notice(`server: ${code}: ${String(message ?? '')}`, 'warn');
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
