import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { AckResult, ClientToServerEvents, ErrorPayload, HistoryRequest, HistoryResult, Message, NoticePayload, ServerToClientEvents } from '../protocol';

/** The SDK's public surface: what `createClient` takes and returns (the protocol's types for what travels). */

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

