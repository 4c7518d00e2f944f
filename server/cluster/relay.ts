import type { Server } from 'socket.io';
import type {
  ClientToServerEvents,
  HistoryRequest,
  HistoryResult,
  InterServerEvents,
  Message,
  ServerToClientEvents,
  SocketData,
} from '../../packages/protocol';
import { roomKey } from '../rooms';
import type { HistoryStore } from './history-store';

export type ImServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Counters the relay keeps for /metrics and /healthz. */
export interface RelayStats {
  messagesIn: number;
  deliveries: number;
  historyReads: number;
}

/**
 * The one way a message enters the service, whether from /api/notify, postMsg or a debug hook:
 * each room gets its own `newMsg` whose `room_id` names that room, after the message is in the
 * room's history.
 */
export interface Relay {
  publish(source: string, rooms: readonly string[], data: unknown): Promise<Message[]>;
  history(source: string, request: HistoryRequest, cap?: number): Promise<HistoryResult>;
  refresh(source: string, rooms: readonly string[]): void;
  readonly stats: RelayStats;
}

export function createRelay(io: ImServer, store: HistoryStore, now: () => number = Date.now): Relay {
  const stats: RelayStats = { messagesIn: 0, deliveries: 0, historyReads: 0 };
  return {
    stats,
    async publish(source, rooms, data) {
      stats.messagesIn++;
      const ts = now();
      const out: Message[] = [];
      for (const room of rooms) {
        const key = roomKey(source, room);
        const message = await store.append(key, { source, data, room_id: room, ts });
        io.to(key).emit('newMsg', message);
        stats.deliveries++;
        out.push(message);
      }
      return out;
    },
    async history(source, request, cap = 500) {
      stats.historyReads++;
      const result = await store.read(roomKey(source, request.room_id), request, cap);
      return { room_id: request.room_id, ...result };
    },
    refresh(source, rooms) {
      for (const room of rooms) io.to(roomKey(source, room)).emit('refreshPage');
    },
  };
}
