import type { Message } from '../protocol';
import type { ClientError, ClientOptions, ImClientSocket } from './client-options';

/**
 * The `init` config of the seed's pages (snake_case, every key optional), plus this SDK's
 * additions. Unknown keys are ignored, wrong types fall back to the defaults: a page written
 * for the original must never break on it.
 */
export interface LegacyConfig {
  receive_message_callback?: (message: Message) => void;
  connected_callback?: (socket: ImClientSocket) => void;
  /** `err` is the message string (as the original passed it); `detail` adds the kind and code. */
  sys_error_callback?: (err: string, detail: ClientError) => void;
  /** Failed reconnect attempts before the session closes (default 10). */
  max_attemptNumber?: number;
  reconnect_attempt_failed_callback?: () => void;
  // Additions (not in the original):
  /** Reload the page on the server's refreshPage (default true). */
  refresh_page?: boolean;
  /** Called on refreshPage before reloading; return false to stop the reload (`on_refresh` works too). */
  refresh_callback?: () => boolean | void;
  on_refresh?: () => boolean | void;
  disconnect_callback?: (reason: string) => void;
  reconnecting_callback?: (attempt: number) => void;
  /** Some messages of a room could not be recovered after a reconnect. */
  message_gap_callback?: (room_id: string) => void;
  /** First reconnect delay and its cap, in ms (defaults 1000 and 5000). */
  reconnection_delay?: number;
  reconnection_delay_max?: number;
  /** Messages send_msg keeps while disconnected (default 50). */
  queue_size?: number;
  /** How long to wait for the server to confirm a message, in ms (default 10000). */
  ack_timeout?: number;
  /** Fetch missed messages after a reconnect (default true). */
  catch_up?: boolean;
  /** Report browser info on connect (default true). */
  client_info?: boolean;
  /** Report page views, single-page-app navigations included (default true). */
  page_views?: boolean;
}

function fn<T extends (...args: never[]) => unknown>(value: unknown): T | undefined {
  return typeof value === 'function' ? (value as T) : undefined;
}

function positive(value: unknown, allowInfinity = false): number | undefined {
  // Pages often pass numbers as strings ("10").
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n) || n < 0) return undefined;
  if (n === Infinity) return allowInfinity ? n : undefined;
  return Math.floor(n);
}

function flag(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * Maps an `init` config to client options. `report` receives every error as the contract's
 * `sys_error_callback(err, detail)`; without one the error goes to console.error (never alert()).
 */
export function legacyToClientOptions(config: unknown): ClientOptions {
  const c = (config !== null && typeof config === 'object' ? config : {}) as Record<string, unknown>;
  const sysError = fn<NonNullable<LegacyConfig['sys_error_callback']>>(c.sys_error_callback);
  const connected = fn<NonNullable<LegacyConfig['connected_callback']>>(c.connected_callback);
  const attempts = positive(c.max_attemptNumber, true);
  return {
    onMessage: fn(c.receive_message_callback),
    onConnect: connected ? (socket) => connected(socket) : undefined,
    onError: (error) => {
      if (sysError) sysError(error.message, error);
      else if (typeof console !== 'undefined') console.error(`[NODE_IM] ${error.message}`);
    },
    onReconnectFailed: fn(c.reconnect_attempt_failed_callback),
    onDisconnect: fn(c.disconnect_callback),
    onReconnectAttempt: fn(c.reconnecting_callback),
    onGap: fn(c.message_gap_callback),
    onRefresh: fn(c.refresh_callback) ?? fn(c.on_refresh),
    reloadOnRefresh: flag(c.refresh_page) ?? true,
    maxReconnectAttempts: attempts !== undefined && attempts >= 1 ? attempts : undefined,
    reconnectionDelay: positive(c.reconnection_delay),
    reconnectionDelayMax: positive(c.reconnection_delay_max),
    queueSize: positive(c.queue_size),
    ackTimeout: positive(c.ack_timeout),
    catchUp: flag(c.catch_up),
    clientInfo: flag(c.client_info),
    pageViews: flag(c.page_views),
  };
}
