import { z } from 'zod';

/**
 * How instances share messages. `memory`: one process (or `--workers N` on one machine, which
 * then share through the primary process). `redis`: any number of instances on any number of
 * machines, through one Redis.
 */
export const adapterSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('memory') }).strict(),
  z
    .object({
      type: z.literal('redis'),
      url: z.string().url('adapter.url must be a redis:// URL'),
      /** Key prefix for everything this service stores in Redis (streams, history, logs, sessions). */
      prefix: z.string().min(1).max(64).regex(/^[\w.:-]+$/, 'adapter.prefix may hold only letters, digits, "_", ".", ":" and "-"').default('im'),
      /**
       * `streams`: @socket.io/redis-streams-adapter (the default: instances that lose Redis for a
       * moment read on from where they stopped). `pubsub`: @socket.io/redis-adapter (plain PUBLISH/SUBSCRIBE).
       * README "Deployment and clustering" has the measurements behind the default.
       */
      transport: z.enum(['streams', 'pubsub']).default('streams'),
      /** At start-up, when Redis does not answer: `fail` (exit non-zero, clearly) or `wait` for it. */
      onStartup: z.enum(['fail', 'wait']).default('fail'),
      /** How long `fail` tries before giving up, in ms. */
      startupTimeoutMs: z.number().int().positive().max(600_000).default(10_000),
      /**
       * A message accepted while this instance cannot reach Redis: `local` delivers it to this
       * instance's own clients (not kept in history, not seen by other instances); `reject`
       * refuses it with UNAVAILABLE (HTTP 503) so the sender can retry later.
       */
      whenDown: z.enum(['local', 'reject']).default('local'),
      /**
       * Streams transport: entries kept in the shared stream (trimmed approximately). An
       * instance whose reader falls further behind than this (overload, or cut off from Redis
       * while the others publish) skips what was trimmed; its clients then fill the gap from
       * room history. ~250 bytes per small message: 100,000 ≈ 25 MB of Redis memory.
       */
      streamMaxLen: z.number().int().min(1000).max(10_000_000).default(100_000),
      /** Longest a Redis command may take before the instance treats Redis as unavailable, in ms. */
      commandTimeoutMs: z.number().int().positive().max(60_000).default(5000),
    })
    .strict(),
]);
export type AdapterConfig = z.infer<typeof adapterSchema>;
export type RedisAdapterConfig = Extract<AdapterConfig, { type: 'redis' }>;

/**
 * Formerly Socket.IO's connection state recovery window. Recovery is now always off: it added
 * an offset argument to every broadcast (clients other than socket.io-client 4 saw it), kept
 * every broadcast packet for the window, and restored rooms before the handshake was checked.
 * The SDK's history catch-up (offset + epoch) is the recovery. The key still parses, so old
 * configuration files keep working; the server warns at start-up that it does nothing.
 */
export const recoverySchema = z
  .object({
    maxDisconnectionSeconds: z.number().int().min(0).max(86_400).optional(),
  })
  .strict()
  .default({});

/**
 * Where `filename` message logs live. `auto`: in Redis when the adapter is Redis (so
 * /api/logs answers for the whole cluster), else files under `logDir`.
 */
export const messageLogSchema = z
  .object({
    store: z.enum(['auto', 'file', 'redis']).default('auto'),
    /** Days a log is kept in Redis (files are left to the operator's log rotation). */
    retentionDays: z.number().int().min(1).max(3660).default(30),
  })
  .strict()
  .default({ store: 'auto', retentionDays: 30 });

/** The one prefix rule for Redis keys: the adapter's `prefix`, `im` where no Redis adapter is set (a store given a Redis client anyway). */
export function redisKeyPrefix(adapter: AdapterConfig): string {
  return adapter.type === 'redis' ? adapter.prefix : 'im';
}
