import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Relay, ImServer } from './cluster/relay';
import type { ServerConfig, SourceConfig } from './config';
import type { MessageLog } from './logs/message-log';
import type { SecurityServices } from './security/services';
import { ImError, LEGACY_MESSAGES } from '../packages/protocol';

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
  /** The shared Redis connection when the adapter is `redis` (for stores, nonces, rate limits). */
  redis?: Redis;
  /** Nonces, rate limits and connection caps (server/security). */
  security: SecurityServices;
}

export function sourceConfig(ctx: ServerContext, source: string): SourceConfig {
  const found = Object.hasOwn(ctx.config.sources, source) ? ctx.config.sources[source] : undefined;
  if (!found) throw new ImError('UNKNOWN_SOURCE', LEGACY_MESSAGES.unknownSource);
  return found;
}
