import type { ErrorCode, Message } from '../protocol';
import { createClient } from './client';
import type { ClientState, ImClient, ImClientSocket } from './client-options';
import { legacyToClientOptions, type LegacyConfig } from './legacy-config';

/** The object a page sees as `XIN_NODE` (and `NODE_IM`): the contract's API plus a few helpers. */
export interface LegacyApi {
  /** Connects with the contract's signed URL. Returns false (and does nothing) when a session is already open. */
  init(socket_server_url: string, config?: LegacyConfig): boolean;
  /**
   * Sends `data` to `room_ids` (comma-separated). Works while reconnecting (queued, sent in order
   * on reconnect). Failures reach `sys_error_callback`. Returns false when refused at once.
   */
  send_msg(data: unknown, room_ids: string | string[]): boolean;
  /** Ends the session (init may be called again afterwards). */
  close(): void;
  /** True while connected. */
  is_connected(): boolean;
  /** `connecting`, `connected`, `reconnecting` or `closed` (also before init). */
  state(): ClientState;
  /** The socket.io-client socket of the session, if any. */
  readonly socket: ImClientSocket | undefined;
  readonly version: string;
}

export const SDK_VERSION = '2.0.0';

function report(config: LegacyConfig | undefined, message: string, code: ErrorCode = 'UNAVAILABLE'): void {
  const detail = { kind: 'send' as const, code, message };
  if (typeof config?.sys_error_callback === 'function') config.sys_error_callback(message, detail);
  else console.error(`[NODE_IM] ${message}`);
}

export function createLegacyApi(): LegacyApi {
  let client: ImClient | undefined;
  let config: LegacyConfig | undefined;

  return {
    version: SDK_VERSION,
    get socket() {
      return client?.socket;
    },
    init(socket_server_url, cfg) {
      if (client && client.state !== 'closed') return false;
      config = cfg;
      client = createClient(String(socket_server_url), legacyToClientOptions(cfg));
      return true;
    },
    send_msg(data, room_ids) {
      const current = client;
      if (!current || current.state === 'closed') {
        report(config, 'send_msg: no open session; call XIN_NODE.init(url, config) first');
        return false;
      }
      const rooms = Array.isArray(room_ids) ? room_ids.join(',') : String(room_ids ?? '');
      if (rooms.trim() === '') {
        report(config, 'room_ids can not be null!', 'ROOMS_REQUIRED');
        return false;
      }
      void current.send(data, rooms).then((result) => {
        // Once the session is closed its own error (and one for the dropped queue) was reported.
        if (!result.ok && current.state !== 'closed') {
          const cb = config?.sys_error_callback;
          const detail = { kind: 'send' as const, ...result.error };
          if (typeof cb === 'function') cb(result.error.message, detail);
          else console.error(`[NODE_IM] ${result.error.message}`);
        }
      });
      return true;
    },
    close() {
      client?.close();
    },
    is_connected() {
      return client?.state === 'connected';
    },
    state() {
      return client?.state ?? 'closed';
    },
  };
}

export type { LegacyConfig, Message };
