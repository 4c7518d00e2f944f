import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ImError, type HistoryRequest, type Message } from '../../packages/protocol';
import type { HistoryStore } from './history-store';

/**
 * Room history in Redis, shared by every instance.
 *
 * Per room two keys (one hash tag, so they live in one Redis Cluster slot):
 * - `<prefix>:h:{<roomKey>}:meta`, a hash {epoch, seq}: `seq` is the room's last offset;
 *   `epoch` is made once, by whichever instance touches the room first, so every instance
 *   hands out the same (epoch, offset) pairs. When Redis loses the key (restart without
 *   persistence, eviction, expiry) a new epoch starts, and clients holding an old position
 *   learn that they cannot catch up exactly (`truncated`).
 * - `<prefix>:h:{<roomKey>}:log`, a list of `<offset>|<ts>|<json>`, consecutive offsets ending
 *   at `seq`, trimmed by count and age.
 *
 * Assigning the offset and storing the message is one Lua script, so it is atomic. Writing
 * here is the point where a message is accepted: from then on any instance can serve it.
 */
/**
 * Lua: pops log entries (`<offset>|<ts>|…`) older than `minTs` from the head of KEYS[2], taking
 * their length off the meta's `bytes` (the log's size, kept for `maxRoomBytes`).
 */
function dropOlderThan(minTs: string): string {
  return `local minTs = ${minTs}
while true do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head then break end
  local ts = tonumber(string.match(head, '^%d+|(%d+)|'))
  if ts and ts < minTs then
    redis.call('LPOP', KEYS[2])
    redis.call('HINCRBY', KEYS[1], 'bytes', -#head)
  else break end
end`;
}

/**
 * Lua: the room's epoch in `epoch`. A room with none (new, or its meta expired) starts a new
 * epoch `newEpoch` at offset 0 and drops whatever log KEYS[2] was left, then runs `onNew`.
 */
function currentEpoch(newEpoch: string, onNew = ''): string {
  return `local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ${newEpoch}
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
  ${onNew}
end`;
}

/** ARGV: newEpoch, size, ts, minTs, metaTtl, body, logTtl, maxRoomBytes (0 = none) */
const APPEND = `
${currentEpoch('ARGV[1]')}
local offset = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
local size = tonumber(ARGV[2])
local dropped = 0
if size > 0 then
  local entry = offset .. '|' .. ARGV[3] .. '|' .. ARGV[6]
  local len = redis.call('RPUSH', KEYS[2], entry)
  redis.call('HINCRBY', KEYS[1], 'bytes', #entry)
  while len > size do
    local e = redis.call('LPOP', KEYS[2])
    redis.call('HINCRBY', KEYS[1], 'bytes', -#e)
    len = len - 1
  end
  ${dropOlderThan('tonumber(ARGV[4])')}
  local maxBytes = tonumber(ARGV[8])
  local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes'))
  len = redis.call('LLEN', KEYS[2])
  -- The newest entry always stays.
  while maxBytes > 0 and bytes > maxBytes and len > 1 do
    local e = redis.call('LPOP', KEYS[2])
    bytes = bytes - #e
    len = len - 1
    dropped = dropped + 1
  end
  -- A log written before the count existed makes it low; never below 0.
  if bytes < 0 then bytes = 0 end
  redis.call('HSET', KEYS[1], 'bytes', bytes)
  redis.call('EXPIRE', KEYS[2], ARGV[7])
end
return {epoch, offset, dropped}
`;

/** ARGV: newEpoch, minTs, mode (since|time|latest), since, clientEpoch, sinceTime, limit, metaTtl */
const READ = `
${currentEpoch('ARGV[1]', "redis.call('EXPIRE', KEYS[1], ARGV[8])")}
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
${dropOlderThan('tonumber(ARGV[2])')}
local len = redis.call('LLEN', KEYS[2])
local first = seq - len + 1
local limit = tonumber(ARGV[7])
local mode = ARGV[3]
local truncated = 0
local items = {}
if mode == 'since' then
  local since = tonumber(ARGV[4])
  local from = first
  if ARGV[5] == epoch then
    if since + 1 < first and since < seq then truncated = 1 end
    if since + 1 > from then from = since + 1 end
  else
    truncated = 1
  end
  if from <= seq and limit > 0 then
    items = redis.call('LRANGE', KEYS[2], from - first, from - first + limit - 1)
  end
elseif mode == 'time' then
  local sinceTime = tonumber(ARGV[6])
  local stop = len - 1
  local picked = {}
  while stop >= 0 and #picked < limit do
    local start = stop - 99
    if start < 0 then start = 0 end
    local chunk = redis.call('LRANGE', KEYS[2], start, stop)
    local done = false
    for i = #chunk, 1, -1 do
      local ts = tonumber(string.match(chunk[i], '^%d+|(%d+)|'))
      if ts and ts < sinceTime then done = true break end
      picked[#picked + 1] = chunk[i]
      if #picked >= limit then done = true break end
    end
    if done then break end
    stop = start - 1
  end
  for i = #picked, 1, -1 do items[#items + 1] = picked[i] end
else
  if limit > 0 then items = redis.call('LRANGE', KEYS[2], -limit, -1) end
end
return {epoch, truncated, items}
`;

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

export interface RedisHistoryStoreOptions {
  redis: Redis;
  prefix: string;
  size: number;
  maxAgeMs: number;
  /** How long a room's epoch and offset survive without traffic, in seconds. */
  positionTtlSeconds: number;
  /** Bytes of one room's log (its entries' lengths; 0 = no bound); past it the oldest go. */
  maxRoomBytes?: number;
  /** Called with the number of entries that went to `maxRoomBytes`. */
  onEvict?: (count: number, roomKey: string) => void;
  now?: () => number;
}

function unavailable(err: unknown): ImError {
  if (err instanceof ImError) return err;
  return new ImError('UNAVAILABLE', `room history (Redis) is unavailable: ${(err as Error).message}`);
}

function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

function decode(entry: string, epoch: string): Message {
  const a = entry.indexOf('|');
  const b = entry.indexOf('|', a + 1);
  const body = JSON.parse(entry.slice(b + 1)) as Omit<Message, 'offset' | 'epoch' | 'ts'>;
  return { ...body, ts: Number(entry.slice(a + 1, b)), offset: Number(entry.slice(0, a)), epoch };
}

export function createRedisHistoryStore(opts: RedisHistoryStoreOptions): HistoryStore {
  const { redis, prefix } = opts;
  const now = opts.now ?? Date.now;
  const logTtl = Math.max(1, Math.ceil(opts.maxAgeMs / 1000));
  redis.defineCommand('imHistoryAppend', { numberOfKeys: 2, lua: APPEND });
  redis.defineCommand('imHistoryRead', { numberOfKeys: 2, lua: READ });
  const commands = redis as unknown as Record<'imHistoryAppend' | 'imHistoryRead', ScriptFn>;
  const keys = (roomKey: string) => [`${prefix}:h:{${roomKey}}:meta`, `${prefix}:h:{${roomKey}}:log`];

  function appendArgs(roomKey: string, message: Message): { ts: number; args: Array<string | number> } {
    const ts = message.ts ?? now();
    const body = JSON.stringify({ source: message.source, data: message.data, room_id: message.room_id });
    return {
      ts,
      args: [...keys(roomKey), newEpoch(), opts.size, ts, ts - opts.maxAgeMs, opts.positionTtlSeconds, body, logTtl, opts.maxRoomBytes ?? 0],
    };
  }
  function appended(roomKey: string, message: Message, ts: number, reply: unknown): Message {
    const [epoch, offset, dropped] = reply as [string, number, number];
    if (dropped > 0) opts.onEvict?.(Number(dropped), roomKey);
    // Not a `{ ...message, … }` spread: on Node 20 it costs microseconds per message.
    const stored: Message = Object.assign({}, message);
    stored.ts = ts;
    stored.offset = Number(offset);
    stored.epoch = epoch;
    return stored;
  }

  return {
    async append(roomKey, message) {
      const { ts, args } = appendArgs(roomKey, message);
      try {
        return appended(roomKey, message, ts, await commands.imHistoryAppend(...args));
      } catch (err) {
        throw unavailable(err);
      }
    },
    // Many rooms or messages in one round trip: one pipeline of the same script (each room's
    // keys share a hash tag, so this works on Redis Cluster too, where one script could not).
    async appendMany(items) {
      if (items.length === 0) return [];
      const pipeline = redis.pipeline() as unknown as Record<'imHistoryAppend', (...args: Array<string | number>) => void> & {
        exec(): Promise<Array<[Error | null, unknown]> | null>;
      };
      const prepared = items.map(({ roomKey, message }) => {
        const p = appendArgs(roomKey, message);
        pipeline.imHistoryAppend(...p.args);
        return p;
      });
      let replies: Array<[Error | null, unknown]> | null;
      try {
        replies = await pipeline.exec();
      } catch (err) {
        throw unavailable(err);
      }
      if (!replies) throw unavailable(new Error('pipeline discarded'));
      return items.map(({ roomKey, message }, i) => {
        const [err, reply] = replies[i] ?? [new Error('no reply'), undefined];
        if (err) throw unavailable(err);
        return appended(roomKey, message, prepared[i]!.ts, reply);
      });
    },
    async read(roomKey, request: HistoryRequest, cap) {
      const limit = Math.max(0, Math.min(request.limit ?? cap, cap));
      const mode = request.since !== undefined ? 'since' : request.sinceTime !== undefined ? 'time' : 'latest';
      try {
        const [epoch, truncated, items] = (await commands.imHistoryRead(
          ...keys(roomKey),
          newEpoch(),
          now() - opts.maxAgeMs,
          mode,
          request.since ?? 0,
          request.epoch ?? '',
          request.sinceTime ?? 0,
          limit,
          opts.positionTtlSeconds,
        )) as [string, number, string[]];
        return { epoch, truncated: truncated === 1, messages: items.map((e) => decode(e, epoch)) };
      } catch (err) {
        throw unavailable(err);
      }
    },
    async close() {
      // The connection belongs to the server's Redis clients, which close it.
    },
  };
}
