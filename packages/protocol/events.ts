import type { Ack } from './acks';
import type { NoticePayload } from './errors';
import type { HistoryRequest, HistoryResult } from './history';
import type { PostLogsEntries } from './log-entry';
import type { Message } from './messages';
import type { ClientInfo, PageView, PresenceEvent } from './presence';

// Every payload type here is inferred from its zod schema (acks.ts, errors.ts, history.ts,
// log-entry.ts, messages.ts, presence.ts); these maps only name the events.
export type { Ack, AckResult } from './acks';

export interface ClientToServerEvents {
  /** The contract's chat/push event: `data` goes to each room of `room_ids` (comma-separated). */
  postMsg: (data: unknown, room_ids: string, ack?: Ack) => void;
  /** Remote-debug entries (`postLogsEntriesSchema`), delivered one `newMsg` per entry to the given rooms. */
  postLogs: (entries: PostLogsEntries, room_ids: string, ack?: Ack) => void;
  /** Recent messages of a room the client has joined (`historyRequestSchema`, answered `historyAckSchema`). */
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
