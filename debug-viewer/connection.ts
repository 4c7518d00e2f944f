import { io, type Socket } from 'socket.io-client';
import type { AckResult, ClientToServerEvents, HistoryResult, ServerToClientEvents } from '../packages/protocol/events';
import type { Message } from '../packages/protocol/messages';

export interface RoomTarget {
  server: string;
  source: string;
  room: string;
  sign: string;
  userid?: string;
  username?: string;
  /** A strong connect sign (`hmac-sha256`, single use) also carries its ts and nonce. */
  signType?: string;
  ts?: string;
  nonce?: string;
}

/** Why the server refused the room, for a message that says what to do (see main.ts). */
export interface Refusal {
  code?: string;
  message: string;
}

export interface RoomHandlers {
  /** Messages in stream order: history first (on join and after each reconnect), then live. */
  onMessages(messages: Message[]): void;
  onStatus(state: 'connecting' | 'connected' | 'error', detail: string): void;
  /** The server refused the sign (or the room): no retry follows. */
  onRefused?(refusal: Refusal): void;
}

type ReaderSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A signed reader of one room. On every (re)connect it asks for the history it missed (all the
 * server keeps on the first join, the messages after the last offset seen later) and holds live
 * messages back until that answer is in, so the list stays in stream order.
 */
export function joinRoom(t: RoomTarget, h: RoomHandlers): () => void {
  // The sign fields travel in Socket.IO's auth (the handshake body), never in the URL, which
  // proxies and access logs keep.
  const auth: Record<string, string> = { sign: t.sign };
  if (t.signType) Object.assign(auth, { sign_type: t.signType, ts: t.ts ?? '', nonce: t.nonce ?? '' });
  const socket: ReaderSocket = io(t.server, {
    query: {
      userid: t.userid || 'debug-viewer',
      username: t.username || 'debug-viewer',
      source: t.source,
      room_ids: t.room,
      ext_info: '',
    },
    auth,
    forceNew: true,
  });
  let last: { epoch?: string; offset?: number } = {};
  let held: Message[] | undefined;

  const deliver = (messages: Message[]) => {
    for (const m of messages) {
      if (m.offset !== undefined && m.epoch !== undefined) last = { epoch: m.epoch, offset: m.offset };
    }
    if (messages.length) h.onMessages(messages);
  };

  socket.on('connect', () => {
    h.onStatus('connected', `reading room ${t.room} of ${t.source}`);
    held = [];
    const request =
      last.offset !== undefined ? { room_id: t.room, since: last.offset, epoch: last.epoch } : { room_id: t.room, limit: 500 };
    socket.timeout(10_000).emit('history', request, (err: Error | null, res?: AckResult<HistoryResult>) => {
      const live = held ?? [];
      held = undefined;
      if (!err && res?.ok) {
        const past = res.result.messages;
        // Live messages that the history answer already holds are dropped by position.
        const newest = past.length ? past[past.length - 1]!.offset : undefined;
        deliver([...past, ...live.filter((m) => newest === undefined || m.epoch !== res.result.epoch || (m.offset ?? Infinity) > newest)]);
        if (res.result.truncated) h.onStatus('connected', `reading room ${t.room} of ${t.source} (older history was already gone)`);
      } else {
        deliver(live);
        const why = err ? err.message : res && !res.ok ? res.error.message : 'no answer';
        h.onStatus('connected', `reading room ${t.room} of ${t.source} (no history: ${why})`);
      }
    });
  });
  socket.on('newMsg', (m) => {
    if (held) held.push(m);
    else deliver([m]);
  });
  socket.on('disconnect', (reason) => h.onStatus('connecting', `disconnected (${reason}); reconnecting…`));
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    const fatal = !socket.active;
    h.onStatus(fatal ? 'error' : 'connecting', fatal ? err.message : `cannot reach ${t.server}: ${err.message}; retrying…`);
    if (fatal) h.onRefused?.({ code: err.data?.code, message: err.message });
  });
  socket.on('sys_error', (text) => h.onStatus('error', String(text)));
  h.onStatus('connecting', `connecting to ${t.server}…`);
  return () => {
    socket.disconnect();
  };
}
