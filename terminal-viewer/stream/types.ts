import type { Message } from '../../packages/protocol';

/** Where the connection to the server stands, as the status bar and stderr report it. */
export type ConnectionStatus =
  | { state: 'connecting'; attempt: number; error?: string }
  /** `catchingUp`: connected, still reading the history it asked for. */
  | { state: 'connected'; catchingUp: boolean }
  | { state: 'reconnecting'; attempt: number; reason?: string }
  /** The server refused us (bad sign, unknown source...): no more retries. */
  | { state: 'error'; message: string; code?: string }
  | { state: 'closed' };

export type NoticeLevel = 'info' | 'warn' | 'error';

export interface StreamListener {
  /** Messages in arrival order; `history` when they came from a history read. */
  messages?(messages: Message[], origin: 'live' | 'history'): void;
  status?(status: ConnectionStatus): void;
  /** Something the user should know (history truncated, server restarted, sys_error...). */
  notice?(text: string, level: NoticeLevel): void;
}

/** Anything that delivers messages to a viewer: the socket stream, or a manual one for tests and benchmarks. */
export interface LogStreamSource {
  /** Starts delivering (the socket stream connects on the first subscriber); returns the unsubscribe. */
  subscribe(listener: StreamListener): () => void;
}
