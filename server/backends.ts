import { createAdapter as createClusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter as createPubSubAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { createMessageLog, type MessageLog } from '../logs/message-log';
import { createRedisMessageLog } from '../logs/redis-message-log';
import type { ServerMetrics } from '../metrics';
import { splitRoomKey } from '../rooms';
import { Health } from './health';
import { createMemoryHistoryStore, type HistoryStore } from './history-store';
import { createIpcHistoryStore } from './ipc-history-store';
import { createRedisClients, type RedisClients } from './redis-clients';
import { createRedisHistoryStore } from './redis-history-store';
import type { ImServer } from '../im-server';

export type ClusterKind = 'memory' | 'node-cluster' | 'redis-streams' | 'redis-pubsub';

/** How this instance shares messages, history and logs with the others (if any). */
export interface Cluster {
  kind: ClusterKind;
  health: Health;
  historyStore: HistoryStore;
  messageLog: MessageLog;
  /** The fail-fast Redis connection for stores (ctx.redis); undefined without Redis. */
  redis?: Redis;
  /** What a publish does while Redis is unreachable. */
  whenDown: 'local' | 'reject';
  /** True while messages can go through the cluster (always, without Redis). */
  canPublish(): boolean;
  /** Resolves when the dependencies answer (start-up policy for Redis). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface SetupClusterOptions {
  io: ImServer;
  config: ServerConfig;
  logger: Logger;
  metrics: ServerMetrics;
  now: () => number;
  /** Given by the caller (tests, special stores); otherwise chosen from the config. */
  historyStore?: HistoryStore;
  /** Running as one of `--workers N` (node:cluster): share through the primary when there is no Redis. */
  worker?: boolean;
}

/**
 * Chooses and wires the Socket.IO adapter, the room history and the message log from the
 * configuration:
 *
 * | adapter         | Socket.IO adapter            | history            | filename logs      |
 * |-----------------|------------------------------|--------------------|--------------------|
 * | memory          | in-memory (session aware)    | memory             | files in logDir    |
 * | memory + worker | @socket.io/cluster-adapter   | primary, over IPC  | files in logDir    |
 * | redis, streams  | @socket.io/redis-streams-adapter | Redis          | Redis (auto)       |
 * | redis, pubsub   | @socket.io/redis-adapter     | Redis              | Redis (auto)       |
 */
export function setupCluster(opts: SetupClusterOptions): Cluster {
  const { io, config, logger, metrics, now } = opts;
  const health = new Health(now);
  const sources = Object.keys(config.sources);
  const fileLog = () => createMessageLog(config.logDir, { now, sources });
  const memoryHistory = () =>
    createMemoryHistoryStore({
      size: config.history.size,
      maxAgeMs: config.history.maxAgeSeconds * 1000,
      maxBytes: config.history.maxBytes,
      maxRoomBytes: config.history.maxRoomBytes,
      onEvict: (bound, n, key) => metrics.boundHits.inc({ bound, source: splitRoomKey(key)?.source ?? '' }, n),
      now,
    });
  warnAboutWindows(config, logger);

  if (config.adapter.type === 'memory') {
    if (opts.worker) io.adapter(createClusterAdapter());
    const historyStore = opts.historyStore ?? (opts.worker ? createIpcHistoryStore() : memoryHistory());
    if (config.messageLog.store === 'redis') logger.warn('messageLog.store is "redis" but there is no Redis adapter: writing files to logDir');
    return {
      kind: opts.worker ? 'node-cluster' : 'memory',
      health,
      historyStore,
      messageLog: fileLog(),
      whenDown: 'local',
      canPublish: () => true,
      ready: async () => {},
      close: async () => {
        await historyStore.close();
      },
    };
  }

  const adapterCfg = config.adapter;
  const clients: RedisClients = createRedisClients({ config: adapterCfg, health, logger, metrics });
  const key = `${adapterCfg.prefix}:sio`;
  if (adapterCfg.transport === 'streams') {
    io.adapter(
      createStreamsAdapter(clients.adapter, {
        streamName: key,
        channelPrefix: key,
        sessionKeyPrefix: `${key}:session:`,
        maxLen: adapterCfg.streamMaxLen,
        // JSON messages only: skip the per-message binary scan.
        onlyPlaintext: true,
      }),
    );
  } else {
    io.adapter(createPubSubAdapter(clients.adapter, clients.subscriber!, { key }));
  }

  const historyStore =
    opts.historyStore ??
    createRedisHistoryStore({
      redis: clients.command,
      prefix: adapterCfg.prefix,
      size: config.history.size,
      maxAgeMs: config.history.maxAgeSeconds * 1000,
      maxRoomBytes: config.history.maxRoomBytes,
      onEvict: (n, key) => metrics.boundHits.inc({ bound: 'history_room_bytes', source: splitRoomKey(key)?.source ?? '' }, n),
      positionTtlSeconds: Math.max(config.history.maxAgeSeconds, 86_400),
      now,
    });
  const messageLog =
    config.messageLog.store === 'file'
      ? fileLog()
      : createRedisMessageLog({
          redis: clients.command,
          prefix: adapterCfg.prefix,
          retentionDays: config.messageLog.retentionDays,
          sources,
          fallback: fileLog(),
          logger,
          now,
        });

  return {
    kind: adapterCfg.transport === 'streams' ? 'redis-streams' : 'redis-pubsub',
    health,
    historyStore,
    messageLog,
    redis: clients.command,
    whenDown: adapterCfg.whenDown,
    canPublish: () => health.allUp,
    async ready() {
      try {
        await clients.ready();
      } catch (err) {
        await clients.close();
        throw err;
      }
    },
    async close() {
      await historyStore.close();
      await clients.close();
    },
  };
}

/** Reconnecting clients catch up from room history: without it they cannot. */
function warnAboutWindows(config: ServerConfig, logger: Logger): void {
  if (config.history.size === 0) {
    logger.warn('history.size is 0: clients that reconnect cannot catch up on what they missed (no room history)');
  }
}
