import { randomUUID } from 'node:crypto';
import type { HistoryRequest, HistoryResult, Message } from '../../packages/protocol';

/**
 * Keeps the recent messages of each room and hands out their positions (offset within an
 * epoch). One implementation per adapter: memory for one instance, Redis for a cluster.
 */
export interface HistoryStore {
  /** Assigns the next offset of the room and keeps the message; returns the stored message. */
  append(roomKey: string, message: Message): Promise<Message>;
  read(roomKey: string, request: HistoryRequest, cap: number): Promise<Omit<HistoryResult, 'room_id'>>;
  close(): Promise<void>;
}

interface RoomLog {
  epoch: string;
  next: number;
  messages: Message[];
}

export const DEFAULT_MAX_ROOMS = 10_000;

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
  now?: () => number;
}): HistoryStore {
  const baseEpoch = randomUUID();
  const rooms = new Map<string, RoomLog>();
  const now = opts.now ?? Date.now;
  const maxRooms = opts.maxRooms ?? DEFAULT_MAX_ROOMS;
  let evictions = 0;
  // The epoch a room created now gets; unchanged until the next eviction, so a reader that saw
  // a room before its first message and the writer that creates it agree.
  const newRoomEpoch = () => (evictions === 0 ? baseEpoch : `${baseEpoch}.${evictions}`);

  function trim(log: RoomLog): void {
    const excess = log.messages.length - opts.size;
    if (excess > 0) log.messages.splice(0, excess);
    const oldest = now() - opts.maxAgeMs;
    let stale = 0;
    while (stale < log.messages.length && (log.messages[stale]!.ts ?? 0) < oldest) stale++;
    if (stale > 0) log.messages.splice(0, stale);
  }

  return {
    async append(key, message) {
      let log = rooms.get(key);
      if (log) {
        rooms.delete(key); // re-insert: Map order is least recently written first
      } else {
        log = { epoch: newRoomEpoch(), next: 1, messages: [] };
        if (rooms.size >= maxRooms) {
          rooms.delete(rooms.keys().next().value as string);
          evictions++;
        }
      }
      rooms.set(key, log);
      const stored: Message = { ...message, offset: log.next++, epoch: log.epoch };
      if (opts.size > 0) {
        log.messages.push(stored);
        trim(log);
      }
      return stored;
    },
    async read(key, request, cap) {
      const log = rooms.get(key);
      if (!log) return { epoch: newRoomEpoch(), messages: [], truncated: false };
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
    },
  };
}
