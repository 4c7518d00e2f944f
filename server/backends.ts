import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerConfig } from './config';
import type { ImServer } from './core/im-server';
import type { ServerMetrics } from './core/metrics';
import { splitRoomKey } from './core/rooms';
import { redisKeyPrefix, type RedisAdapterConfig } from './config/adapter';
import { Health } from './adapters/health';
import { createRedisClients, type Lifecycle, type RedisClients } from './adapters/redis-clients';
import { installClusterAdapter, installRedisAdapter, type AdapterKind } from './adapters/socket-adapter';
import { createMessageLog, type MessageLog } from './logs/message-log';
import { createRedisMessageLog } from './logs/redis-message-log';
import { createIpcPresenceStore } from './presence/ipc-presence-store';
import { createMemoryPresenceStore } from './presence/memory-presence-store';
import { presenceStoreLimits } from './config/presence';
import type { PresenceEviction, PresenceStore, PresenceStoreOptions } from './presence/presence-store';
import { createRedisPresenceStore } from './presence/redis-presence-store';
import { createMemoryHistoryStore, type HistoryStore } from './relay/history-store';
import { createIpcHistoryStore } from './relay/ipc-history-store';
import { createRedisHistoryStore } from './relay/redis-history-store';
import { createIpcSecurity } from './security/ipc-security';
import { createMemoryNonceStore, createRedisNonceStore, type NonceStore } from './security/nonce-store';
import { createRateLimits, type RateLimits, type RateLimitsOptions } from './security/rate-limits';

/**
 * How this server shares its state with other instances, derived once (backendMode):
 * `redis` when the adapter is Redis (with or without `--workers`), `worker` for a `--workers N`
 * process without Redis, `single` otherwise.
 */
export type BackendMode = 'single' | 'worker' | 'redis';

function backendMode(config: ServerConfig, workerProcess: boolean): BackendMode {
  if (config.adapter.type === 'redis') return 'redis';
  return workerProcess ? 'worker' : 'single';
}

/** Every place this server keeps or shares state, chosen together from one mode. */
export interface Backends extends Lifecycle {
  mode: BackendMode;
  /** The Socket.IO adapter installed on io (/readyz `adapter`). */
  kind: AdapterKind;
  /** Readiness of the dependencies (the Redis connections), and draining. */
  health: Health;
  history: HistoryStore;
  presence: PresenceStore;
  nonces: NonceStore;
  /** Per-IP and per-source counts on the shared store; per-connection counts always here. */
  rates: RateLimits;
  messageLog: MessageLog;
  /** The fail-fast Redis command connection (the legacy channel claims with it); undefined without Redis. */
  redis?: Redis;
  /** What a publish does while Redis is unreachable. */
  whenDown: 'local' | 'reject';
  /** True while messages can go through the other instances (always, without Redis). */
  canPublish(): boolean;
}

/** Stores given instead of the chosen ones (tests, benches, special stores); closed by close() like the chosen ones. */
export type BackendOverrides = Partial<Pick<Backends, 'history' | 'presence'>>;

export interface BackendsOptions {
  /** Running as one of `--workers N`: without Redis, state is shared through the primary. */
  workerProcess: boolean;
  config: ServerConfig;
  logger: Logger;
  metrics: ServerMetrics;
  now: () => number;
  io: ImServer;
  /** This process's id (presence records name it). */
  instanceId: string;
  overrides?: BackendOverrides;
}

/**
 * Chooses every backend from the mode, installs the Socket.IO adapter on `io`:
 *
 * | mode   | Socket.IO adapter (kind)                       | history, presence, nonces, ip/source rates | filename logs |
 * |--------|------------------------------------------------|--------------------------------------------|---------------|
 * | single | in-memory (`memory`)                           | memory                                     | files in logDir |
 * | worker | @socket.io/cluster-adapter (`node-cluster`)    | the primary's memory, over IPC             | files in logDir |
 * | redis  | redis-streams-adapter (`redis-streams`) or redis-adapter (`redis-pubsub`), per adapter.transport | Redis | Redis (messageLog.store auto, redis) or files |
 *
 * Always on this instance: connection caps and per-connection rates (a socket lives on one process).
 * The stores themselves live beside their users: relay/ (history), presence/, security/, logs/.
 */
export function createBackends(opts: BackendsOptions): Backends {
  const { config, logger, now } = opts;
  const mode = backendMode(config, opts.workerProcess);
  const health = new Health(now);
  if (config.history.size === 0) {
    // Reconnecting clients catch up from room history: without it they cannot.
    logger.warn('history.size is 0: clients that reconnect cannot catch up on what they missed (no room history)');
  }
  const fileLog = () => createMessageLog(config.logDir, { now, sources: Object.keys(config.sources) });
  const presenceOptions: PresenceStoreOptions = {
    instanceId: opts.instanceId,
    ...presenceStoreLimits(config.presence),
    onEvict: (bound: PresenceEviction, source: string, n: number) => opts.metrics.boundHits.inc({ bound, source }, n),
    now,
  };
  const rateOptions = {
    now,
    windowSeconds: config.rateLimits.windowSeconds,
    prefix: redisKeyPrefix(config.adapter),
    onStoreError: throttledWarning(logger, now, 'rate limit store failed; messages pass without that limit until it answers'),
  };

  if (config.adapter.type === 'redis') return redisBackends(opts, config.adapter, health, fileLog, presenceOptions, rateOptions);

  if (config.messageLog.store === 'redis') logger.warn('messageLog.store is "redis" but there is no Redis adapter: writing files to logDir');
  const worker = mode === 'worker';
  const kind = worker ? installClusterAdapter(opts.io) : 'memory';
  const ipc = worker ? createIpcSecurity() : undefined;
  const localRates = createRateLimits(rateOptions);
  const rates: RateLimits = ipc
    ? { consume: (scope, ...rest) => (scope === 'connection' ? localRates : ipc.rates).consume(scope, ...rest) }
    : localRates;
  return assemble(
    {
      mode,
      kind,
      health,
      history: opts.overrides?.history ?? (worker ? createIpcHistoryStore() : memoryHistory(opts)),
      presence: opts.overrides?.presence ?? (worker ? createIpcPresenceStore(opts.instanceId) : createMemoryPresenceStore(presenceOptions)),
      nonces: ipc?.nonces ?? createMemoryNonceStore(now, config.limits.maxNonces),
      rates,
      messageLog: fileLog(),
      whenDown: 'local',
      canPublish: () => true,
    },
    logger,
    { ready: async () => {}, close: async () => ipc?.close() },
  );
}

function redisBackends(
  opts: BackendsOptions,
  adapter: RedisAdapterConfig,
  health: Health,
  fileLog: () => MessageLog,
  presenceOptions: PresenceStoreOptions,
  rateOptions: RateLimitsOptions,
): Backends {
  const { config, logger, metrics, now } = opts;
  const clients: RedisClients = createRedisClients({ config: adapter, health, logger, metrics });
  const redis = clients.command;
  const { prefix } = adapter;
  const history =
    opts.overrides?.history ??
    createRedisHistoryStore({
      redis,
      prefix,
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
      : createRedisMessageLog({ redis, prefix, retentionDays: config.messageLog.retentionDays, sources: Object.keys(config.sources), fallback: fileLog(), logger, now });
  return assemble(
    {
      mode: 'redis',
      kind: installRedisAdapter(opts.io, adapter, clients),
      health,
      history,
      presence: opts.overrides?.presence ?? createRedisPresenceStore({ ...presenceOptions, redis, prefix }),
      nonces: createRedisNonceStore(redis, prefix),
      rates: createRateLimits({ ...rateOptions, redis }),
      messageLog,
      redis,
      whenDown: adapter.whenDown,
      canPublish: () => health.allUp,
    },
    logger,
    {
      async ready() {
        try {
          await clients.ready();
        } catch (err) {
          await clients.close();
          throw err;
        }
      },
      close: () => clients.close(),
    },
  );
}

/** The backends with their life cycle: `close` ends the stores first, then the connections they ran on. */
function assemble(parts: Omit<Backends, keyof Lifecycle>, logger: Logger, connections: Lifecycle): Backends {
  return {
    ...parts,
    ready: () => connections.ready(),
    async close() {
      await parts.presence.close().catch((err: unknown) => logger.warn({ err }, 'presence: closing the store failed'));
      await parts.history.close();
      await parts.messageLog.close();
      await connections.close();
    },
  };
}

function memoryHistory({ config, metrics, now }: BackendsOptions): HistoryStore {
  return createMemoryHistoryStore({
    size: config.history.size,
    maxAgeMs: config.history.maxAgeSeconds * 1000,
    maxBytes: config.history.maxBytes,
    maxRoomBytes: config.history.maxRoomBytes,
    onEvict: (bound, n, key) => metrics.boundHits.inc({ bound, source: splitRoomKey(key)?.source ?? '' }, n),
    now,
  });
}

/** At most one warning a minute: a store outage must not flood the log. */
function throttledWarning(logger: Logger, now: () => number, message: string): (err: unknown) => void {
  let last = -Infinity;
  return (err) => {
    if (now() - last < 60_000) return;
    last = now();
    logger.warn({ err }, message);
  };
}
