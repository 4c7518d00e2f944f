import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerMetrics } from '../core/metrics';
import type { RedisAdapterConfig } from '../config/adapter';
import type { Health } from './health';

/** Start-up could not reach a dependency; the CLI prints the message without a stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * The Redis connections of one instance.
 *
 * - `command` (Backends.redis): history, message logs, nonces, rate limits, presence.
 *   It FAILS FAST while Redis is away (no offline queue, no resend of unanswered commands,
 *   a command timeout), so a request never hangs and a write is never replayed twice.
 * - `adapter`: the Socket.IO adapter publishes with it (XADD or PUBLISH). It fails fast too:
 *   the adapters deliver to local sockets only after their publish settles, so a publish that
 *   waited for Redis would hold local delivery back (and reorder it).
 * - the readers: `subscriber` (pub/sub transport) and the streams adapter's own duplicates
 *   (XREAD loop, subscriber). They QUEUE while Redis is away (offline queue, unlimited
 *   retries): an XREAD that failed instantly would make the adapter's read loop spin, and a
 *   queued XREAD resumes from the last entry it read, so nothing sent meanwhile is skipped.
 *
 * Every connection has an `error` listener (an EventEmitter error without one would crash the
 * process), reports up/down to Health and counts errors in im_adapter_errors_total.
 */
export interface RedisClients extends Lifecycle {
  command: Redis;
  adapter: Redis;
  subscriber?: Redis;
}

/** Something with connections: `ready` resolves when they answer (following adapter.onStartup), `close` releases them. */
export interface Lifecycle {
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisClientsOptions {
  config: RedisAdapterConfig;
  health: Health;
  logger: Logger;
  metrics: ServerMetrics;
}

function baseOptions(): RedisOptions {
  return {
    // Reconnect forever, at most a second apart: an instance must come back by itself.
    retryStrategy: (times) => Math.min(times * 100, 1000),
    // A failover turns the old primary read-only: reconnect to find the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    connectTimeout: 5000,
  };
}

/** Where Redis is, without the password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable url)';
  }
}

export function createRedisClients({ config, health, logger, metrics }: RedisClientsOptions): RedisClients {
  const all = new Map<string, Redis>();
  let closing = false;
  const lastError = new Map<string, string>();
  const where = redactUrl(config.url);

  function watch(role: string, client: Redis, fireAndForget = true): Redis {
    all.set(role, client);
    if (fireAndForget) {
      // The adapters send some commands without awaiting them (PUBLISH, session SET,
      // UNSUBSCRIBE at close). When the connection is closed those reject; a rejection nobody
      // handles would end the process. Awaiting callers still see the rejection.
      const send = client.sendCommand.bind(client);
      client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
        const p = send(...args);
        if (p instanceof Promise) p.catch(() => {});
        return p;
      }) as Redis['sendCommand'];
    }
    health.track(`redis:${role}`);
    metrics.redisUp.set({ connection: role }, 0);
    let wasUp = false;
    let complained = false;
    client.on('ready', () => {
      health.set(`redis:${role}`, true);
      metrics.redisUp.set({ connection: role }, 1);
      if (wasUp) logger.info({ redis: where, connection: role }, 'Redis connection is back');
      wasUp = true;
      complained = false;
    });
    const down = (why: string) => {
      health.set(`redis:${role}`, false, lastError.get(role) ?? why);
      metrics.redisUp.set({ connection: role }, 0);
    };
    client.on('close', () => {
      // A lost connection is an adapter error even when no 'error' event comes with it.
      if (client.status !== 'end' && !closing && health.report().checks[`redis:${role}`]?.up) {
        metrics.adapterErrors.inc({ connection: role });
        logger.warn({ redis: where, connection: role }, 'Redis connection lost; serving local clients, reconnecting');
        complained = true;
      }
      down('connection closed');
    });
    client.on('end', () => down('connection ended'));
    client.on('error', (err: Error) => {
      metrics.adapterErrors.inc({ connection: role });
      lastError.set(role, err.message);
      if (client.status !== 'ready') down(err.message);
      // One warning per outage and connection; the rest at debug (ioredis retries every second).
      if (!complained) {
        complained = true;
        logger.warn({ redis: where, connection: role, err: err.message }, 'Redis connection error; serving local clients, retrying');
      } else {
        logger.debug({ redis: where, connection: role, err: err.message }, 'Redis connection error');
      }
    });
    return client;
  }

  const command = watch(
    'command',
    new Redis(config.url, {
      ...baseOptions(),
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: config.commandTimeoutMs,
    }),
    false,
  );
  const adapter = watch(
    'adapter',
    new Redis(config.url, { ...baseOptions(), enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 }),
  );

  // The streams adapter duplicates its client for the XREAD loop and the subscriber: watch those too.
  const duplicateNames = config.transport === 'streams' ? ['streams-reader', 'streams-subscriber'] : ['subscriber'];
  let duplicates = 0;
  const originalDuplicate = adapter.duplicate.bind(adapter);
  adapter.duplicate = (override?: Partial<RedisOptions>) => {
    const role = duplicateNames[duplicates] ?? `adapter-${duplicates + 1}`;
    duplicates++;
    return watch(role, originalDuplicate({ enableOfflineQueue: true, autoResendUnfulfilledCommands: true, maxRetriesPerRequest: null, ...override }));
  };
  const subscriber = config.transport === 'pubsub' ? adapter.duplicate() : undefined;

  return {
    command,
    adapter,
    subscriber,
    async ready() {
      if (health.status === 'ok') return;
      if (config.onStartup === 'wait') {
        logger.info({ redis: where }, 'waiting for Redis (adapter.onStartup is "wait")');
        const nag = setInterval(() => logger.warn({ redis: where, checks: health.report().checks }, 'still waiting for Redis'), 30_000);
        nag.unref();
        try {
          await health.waitFor('ok');
        } finally {
          clearInterval(nag);
        }
        return;
      }
      try {
        await health.waitFor('ok', config.startupTimeoutMs);
      } catch {
        const why = [...new Set(lastError.values())].join('; ') || 'no answer';
        throw new StartupError(
          `Redis at ${where} is unreachable after ${config.startupTimeoutMs} ms (${why}). ` +
            'Start Redis, fix adapter.url / REDIS_URL, or set adapter.onStartup to "wait" (REDIS_STARTUP=wait) to wait for it.',
        );
      }
    },
    async close() {
      closing = true;
      await Promise.allSettled(
        [...all].map(async ([role, c]) => {
          // quit() lets queued replies arrive. Readers and subscribers have nothing to finish
          // (and an XREAD may block for seconds), so they and connections that are down are dropped.
          if (c.status === 'ready' && (role === 'command' || role === 'adapter')) {
            await Promise.race([c.quit().catch(() => c.disconnect()), new Promise((r) => setTimeout(r, 1000).unref())]);
          }
          c.disconnect();
        }),
      );
    },
  };
}
