import { randomUUID } from 'node:crypto';
import type { HistoryRequest, HistoryResult, Message } from '../../packages/protocol';

/**
 * Keeps the recent messages of each room and hands out their positions (offset within an
 * epoch). One implementation per adapter: memory for one instance, Redis for a cluster.
 */
export interface HistoryStore {
  /** Assigns the next offset of the room and keeps the message; returns the stored message. */
  append(roomKey: string, message: Message): Promise<Message>;
  /**
   * Appends many (several rooms of one message, a batch, a hook's postLogs) in one round trip,
   * in order; all or nothing when the store is unreachable. Stores without it get append per item.
   */
  appendMany?(items: ReadonlyArray<{ roomKey: string; message: Message; dataLength?: number }>): Promise<Message[]>;
  read(roomKey: string, request: HistoryRequest, cap: number): Promise<Omit<HistoryResult, 'room_id'>>;
  close(): Promise<void>;
}

interface RoomLog {
  epoch: string;
  next: number;
  messages: Message[];
  /** Approximate bytes of each kept message (parallel to `messages`) and their sum. */
  sizes: number[];
  bytes: number;
}

export const DEFAULT_MAX_ROOMS = 10_000;

/**
 * What a kept message costs, approximately: its JSON as UTF-16 (V8 may store it in half) plus
 * the object around it. Counted once, when it is stored.
 */
export function messageBytes(message: Message, dataLength?: number): number {
  let data: number;
  try {
    // dataLength: the JSON length a caller measured already (postLogs checks every entry's size).
    data = dataLength ?? (typeof message.data === 'string' ? message.data.length : (JSON.stringify(message.data) ?? '').length);
  } catch {
    data = 0;
  }
  return 2 * (data + message.room_id.length + message.source.length) + 160;
}

/** Why stored messages went before their count or age said so (a metric label). */
export type HistoryEviction = 'history_room_bytes' | 'history_bytes';

/**
 * In-process history: a bounded array per room, trimmed by count and age on write and read.
 * At most `maxRooms` rooms are remembered (least recently written go first), so clients cannot
 * grow memory by posting to ever new rooms. A room forgotten and written again restarts its
 * offsets under a new epoch, so an old position is never mistaken for a new one.
 */
export function createMemoryHistoryStore(opts: {
  size: number;
  maxAgeMs: number;
  maxRooms?: number;
  /** Bytes kept across all rooms (0: no bound); past it the least recently written rooms' oldest messages go. */
  maxBytes?: number;
  /** Bytes kept per room (0: no bound); past it the room's oldest messages go. */
  maxRoomBytes?: number;
  /** Called with the number of messages that went to a byte bound. */
  onEvict?: (why: HistoryEviction, count: number, roomKey: string) => void;
  now?: () => number;
}): HistoryStore {
  const baseEpoch = randomUUID();
  const rooms = new Map<string, RoomLog>();
  const now = opts.now ?? Date.now;
  const maxRooms = opts.maxRooms ?? DEFAULT_MAX_ROOMS;
  let evictions = 0;
  let totalBytes = 0;
  const maxBytes = opts.maxBytes ?? 0;
  const maxRoomBytes = opts.maxRoomBytes ?? 0;
  // The epoch a room created now gets; unchanged until the next eviction, so a reader that saw
  // a room before its first message and the writer that creates it agree.
  const newRoomEpoch = () => (evictions === 0 ? baseEpoch : `${baseEpoch}.${evictions}`);

  /** Drops the room's `n` oldest messages and their bytes. */
  function dropHead(log: RoomLog, n: number): void {
    if (n <= 0) return;
    log.messages.splice(0, n);
    let freed = 0;
    for (const b of log.sizes.splice(0, n)) freed += b;
    log.bytes -= freed;
    totalBytes -= freed;
  }

  function trim(log: RoomLog): void {
    dropHead(log, log.messages.length - opts.size);
    const oldest = now() - opts.maxAgeMs;
    let stale = 0;
    while (stale < log.messages.length && (log.messages[stale]!.ts ?? 0) < oldest) stale++;
    dropHead(log, stale);
  }

  /** Enforces the byte bounds after `key` was written (its newest message always stays). */
  function enforceBytes(key: string, log: RoomLog): void {
    if (maxRoomBytes > 0 && log.bytes > maxRoomBytes) {
      let n = 0;
      let over = log.bytes - maxRoomBytes;
      while (over > 0 && n < log.messages.length - 1) over -= log.sizes[n++]!;
      dropHead(log, n);
      if (n > 0) opts.onEvict?.('history_room_bytes', n, key);
    }
    if (maxBytes <= 0) return;
    // Least recently written rooms first (Map order); the room just written is last.
    for (const [k, other] of rooms) {
      if (totalBytes <= maxBytes) return;
      if (other === log) break;
      let n = 0;
      let over = totalBytes - maxBytes;
      while (over > 0 && n < other.messages.length) over -= other.sizes[n++]!;
      dropHead(other, n);
      if (n > 0) opts.onEvict?.('history_bytes', n, k);
      if (other.messages.length === 0) {
        // A room whose every message went is forgotten, as the room cap does: its next message
        // starts a new epoch, so a reader's old position is reported as truncated.
        rooms.delete(k);
        evictions++;
      }
    }
    // Only this room is left over the bound: its own oldest go.
    let n = 0;
    let over = totalBytes - maxBytes;
    while (over > 0 && n < log.messages.length - 1) over -= log.sizes[n++]!;
    dropHead(log, n);
    if (n > 0) opts.onEvict?.('history_bytes', n, key);
  }

  /** The room's log, made the most recently written room (Map order); a new room may evict the oldest. */
  function logFor(key: string): RoomLog {
    let log = rooms.get(key);
    if (log) {
      rooms.delete(key); // re-insert: Map order is least recently written first
    } else {
      log = { epoch: newRoomEpoch(), next: 1, messages: [], sizes: [], bytes: 0 };
      if (rooms.size >= maxRooms) {
        const [oldKey, oldLog] = rooms.entries().next().value as [string, RoomLog];
        totalBytes -= oldLog.bytes;
        rooms.delete(oldKey);
        evictions++;
      }
    }
    rooms.set(key, log);
    return log;
  }

  /** Keeps one message in `log` (untrimmed: the caller trims). */
  function keep(log: RoomLog, message: Message, dataLength?: number): Message {
    // A literal of the message's fields, not `{ ...message, offset, epoch }` nor Object.assign:
    // on Node 20 either costs more than the rest of the append (bench/: push).
    const stored: Message = { source: message.source, data: message.data, room_id: message.room_id, ts: message.ts, offset: log.next++, epoch: log.epoch };
    if (stored.ts === undefined) delete stored.ts;
    if (opts.size > 0) {
      const bytes = messageBytes(stored, dataLength);
      log.messages.push(stored);
      log.sizes.push(bytes);
      log.bytes += bytes;
      totalBytes += bytes;
    }
    return stored;
  }

  return {
    async append(key, message) {
      const log = logFor(key);
      const stored = keep(log, message);
      if (opts.size > 0) {
        trim(log);
        enforceBytes(key, log);
      }
      return stored;
    },
    // In process there is no round trip to save, but the trimming of a room (array splices)
    // runs once per batch instead of once per message, and a run of messages to one room moves
    // it in the Map once; the rooms end as append would leave them.
    async appendMany(items) {
      const touched = new Map<string, RoomLog>();
      const out: Message[] = new Array(items.length);
      let lastKey: string | undefined;
      let last: RoomLog | undefined;
      for (let i = 0; i < items.length; i++) {
        const { roomKey, message, dataLength } = items[i]!;
        // The room just written is still the most recently written one: no need to move it.
        if (roomKey !== lastKey || rooms.get(roomKey) !== last) {
          last = logFor(roomKey);
          lastKey = roomKey;
          touched.set(roomKey, last);
        }
        out[i] = keep(last!, message, dataLength);
      }
      if (opts.size > 0) {
        for (const [key, log] of touched) {
          // A room written early in the batch may have been evicted by the room cap since.
          if (rooms.get(key) !== log) continue;
          trim(log);
          enforceBytes(key, log);
        }
      }
      return out;
    },
    async read(key, request, cap) {
      const log = rooms.get(key);
      if (!log) {
        const epoch = newRoomEpoch();
        // A position in a room that was forgotten (room cap, byte bound): what it had is gone.
        return { epoch, messages: [], truncated: (request.since ?? 0) > 0 && request.epoch !== epoch };
      }
      trim(log);
      const { epoch } = log;
      const limit = Math.min(request.limit ?? cap, cap);
      let list = log.messages;
      let truncated = false;
      if (request.since !== undefined && request.epoch === epoch) {
        const since = request.since;
        list = list.filter((m) => m.offset! > since);
        const first = log.messages[0]?.offset ?? log.next;
        truncated = since + 1 < first;
      } else if (request.since !== undefined) {
        // A position from another epoch (a restarted server): all we have, flagged.
        truncated = true;
      } else if (request.sinceTime !== undefined) {
        const t = request.sinceTime;
        list = list.filter((m) => (m.ts ?? 0) >= t);
      }
      // Catching up from a position pages forward (oldest first); otherwise the newest win.
      const page = request.since !== undefined ? list.slice(0, limit) : list.slice(-limit);
      return { epoch, messages: page, truncated };
    },
    async close() {
      rooms.clear();
      totalBytes = 0;
    },
  };
}
