import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisKeyPrefix } from '../cluster/cluster-config';
import type { ServerConfig } from '../config';
import { createConnectionLimits, type ConnectionBound, type ConnectionLimits } from './connection-limits';
import { createIpcSecurity } from './ipc-security';
import { createMemoryNonceStore, createRedisNonceStore, type NonceStore } from './nonce-store';
import { createRateLimits, type RateLimits } from './rate-limits';

/** The state the security checks keep, one set per server (ServerContext.security). */
export interface SecurityServices {
  nonces: NonceStore;
  rates: RateLimits;
  connections: ConnectionLimits;
  close(): void;
}

export interface SecurityOptions {
  config: ServerConfig;
  now: () => number;
  /** The shared Redis, read at each use (it may be attached after the server is built). */
  redis: () => Redis | undefined;
  logger: Logger;
  /** Told when a connection cap refuses a handshake (im_bound_hits_total). */
  onRefuse?: (bound: ConnectionBound, source: string) => void;
  /**
   * `--workers N`: without Redis, nonces and the per-IP/per-source counts are kept by the
   * primary over IPC (server/security/ipc-security.ts).
   */
  worker?: boolean;
}

export function createSecurityServices(opts: SecurityOptions): SecurityServices {
  const { config } = opts;
  const prefix = redisKeyPrefix(config.adapter);
  const memoryNonces = createMemoryNonceStore(opts.now, config.limits.maxNonces);
  const ipc = opts.worker ? createIpcSecurity() : undefined;
  let redisNonces: { redis: Redis; store: NonceStore } | undefined;
  const nonces: NonceStore = {
    claim(key, ttlMs) {
      const redis = opts.redis();
      if (!redis) return (ipc?.nonces ?? memoryNonces).claim(key, ttlMs);
      if (redisNonces?.redis !== redis) redisNonces = { redis, store: createRedisNonceStore(redis, prefix) };
      return redisNonces.store.claim(key, ttlMs);
    },
  };
  let lastWarning = -Infinity;
  const localRates = createRateLimits({
    now: opts.now,
    windowSeconds: config.rateLimits.windowSeconds,
    redis: opts.redis,
    prefix,
    onStoreError: (err) => {
      // At most once a minute: a store outage must not flood the log.
      if (opts.now() - lastWarning < 60_000) return;
      lastWarning = opts.now();
      opts.logger.warn({ err }, 'rate limit store failed; messages pass without that limit until it answers');
    },
  });
  const rates: RateLimits = {
    consume: (scope, id, perSecond, points) =>
      ipc && scope !== 'connection' && !opts.redis()
        ? ipc.rates.consume(scope, id, perSecond, points)
        : localRates.consume(scope, id, perSecond, points),
  };
  const connections = createConnectionLimits({
    maxPerIp: config.limits.maxConnectionsPerIp,
    maxPerUser: config.limits.maxConnectionsPerUser,
    maxHookPerIp: config.limits.maxHookConnectionsPerIp,
    maxHookPerSource: config.limits.maxHookConnectionsPerSource,
    onRefuse: opts.onRefuse,
  });
  return { nonces, rates, connections, close: () => ipc?.close() };
}
