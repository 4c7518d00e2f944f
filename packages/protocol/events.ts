export type { HistoryRequest } from './history';
import type { ErrorPayload, NoticePayload } from './errors';
import type { LogEntry } from './log-entry';
import type { HistoryRequest } from './history';
import type { Message } from './messages';
import type { ClientInfo, PageView, PresenceEvent } from './presence';

/** The answer to any acknowledged client event. */
export type AckResult<T = undefined> =
  | (T extends undefined ? { ok: true } : { ok: true; result: T })
  | { ok: false; error: ErrorPayload };

export type Ack<T = undefined> = (result: AckResult<T>) => void;

/** A history answer; its schema (`historyResultSchema`) is beside the request's in history.ts. */
export interface HistoryResult {
  room_id: string;
  epoch: string;
  messages: Message[];
  truncated: boolean;
  next?: HistoryRequest;
}

export interface ClientToServerEvents {
  /** The contract's chat/push event: `data` goes to each room of `room_ids` (comma-separated). */
  postMsg: (data: unknown, room_ids: string, ack?: Ack) => void;
  /** Remote-debug entries, delivered one `newMsg` per entry to the given rooms. */
  postLogs: (entries: LogEntry[], room_ids: string, ack?: Ack) => void;
  /** Recent messages of a room the client has joined. */
  history: (request: HistoryRequest, ack: Ack<HistoryResult>) => void;
  /** Browser info (page, language, time zone, screen, user agent), sent by the SDK on connect. */
  clientInfo: (info: ClientInfo, ack?: Ack) => void;
  /** A navigation (first load or a single-page-app route change), kept as a page view. */
  pageView: (view: PageView, ack?: Ack) => void;
}

export interface ServerToClientEvents {
  newMsg: (message: Message) => void;
  /** A human-readable description of what went wrong (the contract's event). */
  sys_error: (message: string) => void;
  /** The page should reload. */
  refreshPage: () => void;
  /**
   * Something the client should know but that ends nothing (e.g. SLOW_CONSUMER: the last
   * connection was closed because it did not read; catch up from history). Sent after connect.
   */
  sys_notice: (notice: NoticePayload) => void;
}

export interface InterServerEvents {
  ping: () => void;
  /** A presence change on one instance, for the live monitors of the others. */
  presence: (event: PresenceEvent) => void;
}

/** What the handshake established about a connection. */
export interface SocketData {
  source: string;
  userid: string;
  username: string;
  /** Rooms (without the source prefix) the connection joined. */
  rooms: string[];
  extInfo: string;
  watchQuit: boolean;
  connectedAt: number;
  /** May read the rooms it joined (false for publish-only debug hooks). */
  canRead: boolean;
  /** Set for publish-only hook connections: the only rooms it may send log entries to. */
  publishRooms?: string[];
  /** How the handshake was signed (`none` for unsigned hooks); `{userid}` rights need `strong`. */
  signedWith?: 'legacy' | 'strong' | 'none';
  /** The client's address (behind a loopback proxy: the forwarded one), for per-IP limits. */
  ip?: string;
}
