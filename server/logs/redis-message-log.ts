import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ImError } from '../../packages/protocol';
import { legacyNameIsOwn, utcDate, type MessageLog } from './message-log';

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const CHUNK = 1000;

/** Appends a line and keeps the byte count beside it, so a read knows its Content-Length up front. */
const APPEND = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
`;

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

export interface RedisMessageLogOptions {
  redis: Redis;
  prefix: string;
  retentionDays: number;
  /** Where lines go while Redis cannot be reached (this instance's log folder). */
  fallback: MessageLog;
  logger: Logger;
  /** Every configured source name (old `<source>_<filename>` keys are read only when no other source can claim them). */
  sources?: readonly string[];
  now?: () => number;
}

/**
 * `filename` logs of a cluster, kept in Redis: a list of NDJSON lines per source, file name
 * and UTC day, written once by the instance that accepted the message, readable through
 * /api/logs on any instance. Lines accepted while Redis is away go to that instance's local
 * log folder instead (logged as a warning), so accepting a message never depends on Redis.
 */
export function createRedisMessageLog(opts: RedisMessageLogOptions): MessageLog {
  const { redis, prefix, fallback, logger } = opts;
  const now = opts.now ?? Date.now;
  const ttl = opts.retentionDays * 86_400;
  redis.defineCommand('imMessageLogAppend', { numberOfKeys: 2, lua: APPEND });
  const commands = redis as unknown as Record<'imMessageLogAppend', ScriptFn>;
  // "/" is in no source name and no filename, so no two sources share a key.
  const key = (date: string, source: string, filename: string) => `${prefix}:log:{${date}:${source}/${filename}}`;
  // The key before: `shop` + `eu_orders.log` was `shop_eu` + `orders.log` (see legacyNameIsOwn).
  const legacyKey = (date: string, source: string, filename: string) => `${prefix}:log:{${date}:${source}_${filename}}`;
  const sources = opts.sources ?? [];

  return {
    async append(source, filename, record) {
      const line = JSON.stringify(record) + '\n';
      const k = key(utcDate(now()), source, filename);
      try {
        await commands.imMessageLogAppend(k, `${k}:bytes`, line, Buffer.byteLength(line), ttl);
      } catch (err) {
        logger.warn({ err: (err as Error).message, source, filename }, 'message log: Redis unavailable, line written to the local log folder');
        await fallback.append(source, filename, record);
      }
    },
    async read(source, filename, date) {
      if (!DATE_PATTERN.test(date)) throw new ImError('INVALID_PARAMETER', 'date must be YYYY-MM-DD');
      // A day written before and after the upgrade has both keys: the old one's lines came first.
      const keys = [...(legacyNameIsOwn(source, filename, sources) ? [legacyKey(date, source, filename)] : []), key(date, source, filename)];
      const parts: Array<{ k: string; count: number }> = [];
      let size = 0;
      try {
        // One snapshot per key: later lines are not part of this answer.
        for (const k of keys) {
          const res = await redis.multi().llen(k).get(`${k}:bytes`).exec();
          const count = Number(res?.[0]?.[1] ?? 0);
          if (count === 0) continue;
          parts.push({ k, count });
          size += Number(res?.[1]?.[1] ?? 0);
        }
      } catch (err) {
        throw new ImError('UNAVAILABLE', `message logs (Redis) are unavailable: ${(err as Error).message}`);
      }
      if (parts.length === 0) return fallback.read(source, filename, date);
      async function* lines() {
        for (const { k, count } of parts) {
          for (let start = 0; start < count; start += CHUNK) {
            const part = await redis.lrange(k, start, Math.min(start + CHUNK, count) - 1);
            yield Buffer.from(part.join(''));
          }
        }
      }
      return { stream: Readable.from(lines(), { objectMode: false }), size };
    },
    close: () => fallback.close(),
  };
}
