import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { createConnectionLimits, type ConnectionLimits } from './connection-limits';
import { createMemoryNonceStore, createRedisNonceStore, type NonceStore } from './nonce-store';
import { createRateLimits, type RateLimits } from './rate-limits';

/** The state the security checks keep, one set per server (ServerContext.security). */
export interface SecurityServices {
  nonces: NonceStore;
  rates: RateLimits;
  connections: ConnectionLimits;
}

export interface SecurityOptions {
  config: ServerConfig;
  now: () => number;
  /** The shared Redis, read at each use (it may be attached after the server is built). */
  redis: () => Redis | undefined;
  logger: Logger;
}

export function createSecurityServices(opts: SecurityOptions): SecurityServices {
  const { config } = opts;
  const prefix = config.adapter.type === 'redis' ? config.adapter.prefix : 'im';
  const memoryNonces = createMemoryNonceStore(opts.now, config.limits.maxNonces);
  let redisNonces: { redis: Redis; store: NonceStore } | undefined;
  const nonces: NonceStore = {
    claim(key, ttlMs) {
      const redis = opts.redis();
      if (!redis) return memoryNonces.claim(key, ttlMs);
      if (redisNonces?.redis !== redis) redisNonces = { redis, store: createRedisNonceStore(redis, prefix) };
      return redisNonces.store.claim(key, ttlMs);
    },
  };
  let lastWarning = -Infinity;
  const rates = createRateLimits({
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
  const connections = createConnectionLimits({
    maxPerIp: config.limits.maxConnectionsPerIp,
    maxPerUser: config.limits.maxConnectionsPerUser,
  });
  return { nonces, rates, connections };
}
