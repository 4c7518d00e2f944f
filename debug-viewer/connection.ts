import { io, type Socket } from 'socket.io-client';
import type { AckResult, ClientToServerEvents, HistoryRequest, HistoryResult, ServerToClientEvents } from '../packages/protocol/events';
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

/** History answers read per (re)connect at most (each is capped in bytes by the server). */
const MAX_HISTORY_PAGES = 50;

/** Kept across reconnects so the server can say why it cut a connection (see `im_client`). */
const clientId = (): string => Math.random().toString(16).slice(2, 14) + Math.random().toString(16).slice(2, 14);

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
      im_client: clientId(),
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

  let round = 0;
  socket.on('connect', () => {
    h.onStatus('connected', `reading room ${t.room} of ${t.source}`);
    held = [];
    const mine = ++round;
    const first: HistoryRequest =
      last.offset !== undefined ? { room_id: t.room, since: last.offset, epoch: last.epoch } : { room_id: t.room, limit: 500 };
    void readHistory(first, mine).then(({ epoch, newest, truncated, error }) => {
      if (mine !== round) return;
      const live = held ?? [];
      held = undefined;
      // Live messages that the history answers already held are dropped by position.
      deliver(live.filter((m) => newest === undefined || m.epoch !== epoch || (m.offset ?? Infinity) > newest));
      if (error) h.onStatus('connected', `reading room ${t.room} of ${t.source} (no history: ${error})`);
      else if (truncated) h.onStatus('connected', `reading room ${t.room} of ${t.source} (older history was already gone)`);
    });
  });
  socket.on('disconnect', () => {
    round++;
  });

  /** Reads history page by page (the server caps each answer in bytes and says where to read on), delivering each page. */
  async function readHistory(request: HistoryRequest, mine: number): Promise<{ epoch?: string; newest?: number; truncated: boolean; error?: string }> {
    let epoch: string | undefined;
    let newest: number | undefined;
    let truncated = false;
    for (let page = 0; page < MAX_HISTORY_PAGES && mine === round; page++) {
      let res: AckResult<HistoryResult> | undefined;
      try {
        res = (await socket.timeout(10_000).emitWithAck('history', request)) as AckResult<HistoryResult>;
      } catch (err) {
        return { epoch, newest, truncated, error: (err as Error).message };
      }
      if (mine !== round) break;
      if (!res?.ok) return { epoch, newest, truncated, error: res && !res.ok ? res.error.message : 'no answer' };
      const { messages, next } = res.result;
      epoch = res.result.epoch;
      truncated ||= page === 0 && res.result.truncated;
      if (messages.length) newest = messages[messages.length - 1]!.offset ?? newest;
      deliver(messages);
      if (!next) break;
      request = next;
    }
    return { epoch, newest, truncated };
  }

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
  socket.on('sys_notice', (notice) => {
    if (notice?.code === 'SLOW_CONSUMER') {
      h.onStatus(
        'connected',
        `reading room ${t.room} of ${t.source} (SLOW_CONSUMER: the last connection was closed because this page did not read fast enough; missed messages were read from history)`,
      );
    } else if (notice) h.onStatus('connected', `reading room ${t.room} of ${t.source} (${notice.code}: ${notice.message})`);
  });
  h.onStatus('connecting', `connecting to ${t.server}…`);
  return () => {
    socket.disconnect();
  };
}
