import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ImError } from '../../packages/protocol';

/** A refused message: RATE_LIMITED with how long to wait (HTTP answers add Retry-After). */
export class RateLimitedError extends ImError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', message);
    this.retryAfterMs = retryAfterMs;
  }
}

export type RateScope = 'connection' | 'ip' | 'source';

const SCOPE_TEXT: Record<RateScope, string> = {
  connection: 'this connection',
  ip: 'this IP address',
  source: 'this source',
};

export interface RateLimits {
  /**
   * Counts `points` messages for `id` against `perSecond` (0 = no limit); throws RateLimitedError
   * when the window's allowance is used up. `connection` is always counted in memory (a socket
   * lives on one instance); `ip` and `source` on the shared Redis when there is one.
   */
  consume(scope: RateScope, id: string, perSecond: number, points?: number): Promise<void>;
}

export interface RateLimitsOptions {
  now: () => number;
  windowSeconds: number;
  /** The shared Redis for the `ip` and `source` counts (a cluster); without it, memory. */
  redis?: Redis;
  prefix: string;
  onStoreError?: (err: unknown) => void;
}

/**
 * rate-limiter-flexible keeps the counts (in memory, or atomically in Redis for a cluster). The
 * window a message falls in is chosen here from the server clock (`now`), one key per aligned
 * window, so every time decision follows the same injectable clock; the library's own expiry
 * (two windows) only frees the old keys.
 */
export function createRateLimits(opts: RateLimitsOptions): RateLimits {
  const windowMs = opts.windowSeconds * 1000;
  const limiters = new Map<string, RateLimiterAbstract>();

  function limiterFor(scope: RateScope, allowance: number): RateLimiterAbstract {
    const redis = scope === 'connection' ? undefined : opts.redis;
    const cacheKey = `${scope}:${allowance}:${redis ? 'redis' : 'memory'}`;
    let limiter = limiters.get(cacheKey);
    if (limiter) return limiter;
    const base = { points: allowance, duration: opts.windowSeconds * 2, keyPrefix: `${opts.prefix}:rl:${scope}:${allowance}` };
    limiter = redis
      ? new RateLimiterRedis({
          ...base,
          storeClient: redis,
          rejectIfRedisNotReady: true,
          // Redis down: count per instance rather than refuse everything or count nothing.
          insuranceLimiter: new RateLimiterMemory(base),
        })
      : new RateLimiterMemory(base);
    limiters.set(cacheKey, limiter);
    return limiter;
  }

  return {
    async consume(scope, id, perSecond, points = 1) {
      if (perSecond <= 0) return;
      const allowance = Math.max(1, Math.round(perSecond * opts.windowSeconds));
      const t = opts.now();
      const window = Math.floor(t / windowMs);
      try {
        await limiterFor(scope, allowance).consume(`${id}:${window}`, points);
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          const retryAfterMs = Math.max(1, (window + 1) * windowMs - t);
          throw new RateLimitedError(
            `too many messages from ${SCOPE_TEXT[scope]}: at most ${perSecond} per second; retry in ${(retryAfterMs / 1000).toFixed(1)} s`,
            retryAfterMs,
          );
        }
        // A store failure past the insurance limiter: let the message through and say so in the log.
        opts.onStoreError?.(err);
      }
    },
  };
}
