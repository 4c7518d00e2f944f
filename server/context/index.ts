import type { Logger } from 'pino';
import type { Relay } from '../relay/relay';
import type { ImServer } from '../core/im-server';
import type { ServerConfig, SourceConfig } from '../config';
import type { MessageLog } from '../logs/message-log';
import type { SecurityServices } from '../security/services';
import type { ServerMetrics } from '../core/metrics';
import { ImError, LEGACY_MESSAGES, parseRoomList } from '../../packages/protocol';

/** Everything a route or socket handler needs, built once by createServer. */
export interface ServerContext {
  config: ServerConfig;
  io: ImServer;
  relay: Relay;
  messageLog: MessageLog;
  logger: Logger;
  /** Names this process in logs and message-log lines. */
  instanceId: string;
  now: () => number;
  /** Nonces, rate limits and connection caps (server/security). */
  security: SecurityServices;
  /** The server's metrics (bounds count what they drop or refuse in im_bound_hits_total). */
  metrics: ServerMetrics;
}

export function sourceConfig(ctx: ServerContext, source: string): SourceConfig {
  const found = Object.hasOwn(ctx.config.sources, source) ? ctx.config.sources[source] : undefined;
  if (!found) throw new ImError('UNKNOWN_SOURCE', LEGACY_MESSAGES.unknownSource);
  return found;
}

/**
 * A comma-separated room list checked against the configured limits: rooms per message (a
 * publish) or per connection (a handshake). An empty list throws `emptyMessage`.
 */
export function roomList(ctx: ServerContext, raw: string, per: 'message' | 'connection', emptyMessage: string): string[] {
  const { limits } = ctx.config;
  return parseRoomList(raw, {
    max: per === 'message' ? limits.maxRoomsPerMessage : limits.maxRoomsPerConnection,
    maxLength: limits.maxRoomIdLength,
    emptyMessage,
  });
}
