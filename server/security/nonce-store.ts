import type { Redis } from 'ioredis';
import { ImError } from '../../packages/protocol';

/**
 * Remembers the nonces of strong signs while their timestamp is still acceptable, so a captured
 * request cannot be replayed inside the window. `claim` is true the first time a key is seen.
 */
export interface NonceStore {
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/**
 * One instance: a Map of key → expiry. Every claim uses the same TTL, so insertion order is
 * expiry order and sweeping stops at the first live entry. Full (only legitimate, verified
 * requests get here) means fail closed: the request is refused, never let through unchecked.
 */
export function createMemoryNonceStore(now: () => number, maxEntries: number): NonceStore {
  const seen = new Map<string, number>();
  const sweep = (t: number) => {
    for (const [key, expires] of seen) {
      if (expires > t) break;
      seen.delete(key);
    }
  };
  return {
    async claim(key, ttlMs) {
      const t = now();
      sweep(t);
      const expires = seen.get(key);
      if (expires !== undefined && expires > t) return false;
      if (seen.size >= maxEntries) {
        throw new ImError('RATE_LIMITED', `too many signed requests within the signature window (limits.maxNonces = ${maxEntries}); retry later`);
      }
      seen.set(key, t + ttlMs);
      return true;
    },
  };
}

/** A cluster: SET key 1 NX PX ttl on the shared Redis, so a nonce is accepted once on any instance. */
export function createRedisNonceStore(redis: Redis, prefix: string, timeoutMs = 2000): NonceStore {
  return {
    async claim(key, ttlMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const answer = await Promise.race([
          redis.set(`${prefix}:nonce:${key}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('redis timeout')), timeoutMs);
          }),
        ]);
        return answer === 'OK';
      } catch {
        // Without the shared store a replay cannot be ruled out: refuse rather than guess.
        throw new ImError('UNAVAILABLE', 'replay check unavailable (Redis not answering); retry later');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
