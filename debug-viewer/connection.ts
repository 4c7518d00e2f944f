import { io, type Socket } from 'socket.io-client';
import { createCatchUp, gapText } from '../packages/client';
import { asMessage, noticePayloadSchema, readHistoryAck, type AckResult, type ClientToServerEvents, type HistoryRequest, type HistoryResult, type Message, type ServerToClientEvents } from '../packages/protocol';

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

/** Messages shown on the first join: the newest the server keeps, up to this many. */
const FIRST_JOIN = 500;

/** Kept across reconnects so the server can say why it cut a connection (see `im_client`). */
const clientId = (): string => Math.random().toString(16).slice(2, 14) + Math.random().toString(16).slice(2, 14);

/**
 * A signed reader of one room. Catch-up is the SDK's (packages/client `createCatchUp`): on every
 * (re)connect it reads the history it missed (the newest 500 on the first join, what came after
 * the last offset later, page by page on the server's cursor), holding live messages back until
 * that read is in, so the list stays in stream order; gaps are told in the SDK's words.
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
  const catchUp = createCatchUp([t.room], { initial: { limit: FIRST_JOIN } });
  const reading = `reading room ${t.room} of ${t.source}`;
  const deliver = (messages: Message[]) => {
    if (messages.length) h.onMessages(messages);
  };

  socket.on('connect', () => {
    h.onStatus('connected', reading);
    for (const request of catchUp.begin()) void readHistory(request, catchUp.round);
  });

  /** One page of history; the next is asked for when the server cut the answer (its byte cap). */
  async function readHistory(request: HistoryRequest, round: number): Promise<void> {
    let res: AckResult<HistoryResult> | undefined;
    let error: string | undefined;
    try {
      const raw: unknown = await socket.timeout(10_000).emitWithAck('history', request);
      res = readHistoryAck(raw);
      if (!res) error = raw === undefined || raw === null ? 'no answer' : 'unexpected answer';
      else if (!res.ok) error = res.error.message;
    } catch (err) {
      error = (err as Error).message;
    }
    if (round !== catchUp.round) return;
    if (error !== undefined || !res?.ok) {
      deliver(catchUp.abandon(request.room_id, round));
      h.onStatus('connected', `${reading} (no history: ${error})`);
      return;
    }
    const step = catchUp.page(res.result, round);
    deliver(step.deliver);
    if (step.gapKind) h.onStatus('connected', `${reading} (${gapText(step.gapKind)})`);
    if (step.next) void readHistory(step.next, round);
  }

  socket.on('newMsg', (raw: unknown) => deliver(catchUp.receive(asMessage(raw))));
  socket.on('disconnect', (reason) => h.onStatus('connecting', `disconnected (${reason}); reconnecting…`));
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    const fatal = !socket.active;
    h.onStatus(fatal ? 'error' : 'connecting', fatal ? err.message : `cannot reach ${t.server}: ${err.message}; retrying…`);
    if (fatal) h.onRefused?.({ code: err.data?.code, message: err.message });
  });
  socket.on('sys_error', (text) => h.onStatus('error', String(text)));
  socket.on('sys_notice', (raw: unknown) => {
    const known = noticePayloadSchema.safeParse(raw);
    if (known.success && known.data.code === 'SLOW_CONSUMER') {
      h.onStatus(
        'connected',
        `reading room ${t.room} of ${t.source} (SLOW_CONSUMER: the last connection was closed because this page did not read fast enough; missed messages were read from history)`,
      );
    } else if (raw && typeof raw === 'object') {
      // A notice this page does not know (a newer server's): shown as it came.
      const { code, message } = raw as { code?: unknown; message?: unknown };
      h.onStatus('connected', `reading room ${t.room} of ${t.source} (${String(code)}: ${String(message)})`);
    }
  });
  h.onStatus('connecting', `connecting to ${t.server}…`);
  return () => {
    socket.disconnect();
  };
}
