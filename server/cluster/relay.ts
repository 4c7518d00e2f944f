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
import { ImError } from '../../packages/protocol';
import type { ServerMetrics } from '../metrics';
import { roomKey } from '../rooms';
import type { HistoryStore } from './history-store';

export type ImServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * The one way a message enters the service, whether from /api/notify, postMsg or a debug hook:
 * each room gets its own `newMsg` whose `room_id` names that room, after the message is in the
 * room's history.
 */
export interface Relay {
  publish(source: string, rooms: readonly string[], data: unknown): Promise<Message[]>;
  history(source: string, request: HistoryRequest, cap?: number): Promise<HistoryResult>;
  refresh(source: string, rooms: readonly string[]): void;
}

/** What the relay needs to know about the cluster (see setup-cluster.ts). */
export interface RelayCluster {
  /** False while Redis is unreachable: messages then stay on this instance (or are refused). */
  canPublish(): boolean;
  whenDown: 'local' | 'reject';
}

export interface RelayOptions {
  metrics?: ServerMetrics;
  cluster?: RelayCluster;
}

function isUnavailable(err: unknown): boolean {
  return err instanceof ImError && err.code === 'UNAVAILABLE';
}

/**
 * Acceptance: a message is accepted once the history store has given it its position (in
 * Redis, for a cluster): from then on every instance can serve it through `history`, so a
 * subscriber that misses the broadcast still gets it. Socket.IO's emit is not awaitable
 * (BroadcastOperator.emit returns nothing), so the store write is the acceptance point that
 * /api/notify and postMsg acks wait for.
 *
 * While Redis is unreachable (`cluster.canPublish()` false, or the store write fails with
 * UNAVAILABLE) a message is delivered to this instance's own clients only, without a position,
 * or refused when `whenDown` is `reject`.
 */
export function createRelay(io: ImServer, store: HistoryStore, now: () => number = Date.now, opts: RelayOptions = {}): Relay {
  const { metrics, cluster } = opts;

  function refuse(): never {
    throw new ImError('UNAVAILABLE', 'Redis is unavailable: the message was not accepted, retry later');
  }

  return {
    async publish(source, rooms, data) {
      metrics?.messagesIn.inc({ source });
      const ts = now();
      const out: Message[] = [];
      let clusterUp = cluster ? cluster.canPublish() : true;
      if (!clusterUp && cluster?.whenDown === 'reject') refuse();
      for (const room of rooms) {
        const key = roomKey(source, room);
        const plain: Message = { source, data, room_id: room, ts };
        let message: Message | undefined;
        if (clusterUp) {
          try {
            message = await store.append(key, plain);
          } catch (err) {
            if (!cluster || !isUnavailable(err)) throw err;
            if (cluster.whenDown === 'reject') throw err;
            clusterUp = false;
          }
        }
        if (message) {
          io.to(key).emit('newMsg', message);
          metrics?.messagesOut.inc({ source });
        } else {
          io.local.to(key).emit('newMsg', plain);
          metrics?.messagesLocalOnly.inc({ source });
          message = plain;
        }
        out.push(message);
      }
      return out;
    },
    async history(source, request, cap = 500) {
      const result = await store.read(roomKey(source, request.room_id), request, cap);
      if (metrics) {
        metrics.historyRequests.inc({ outcome: result.truncated ? 'truncated' : result.messages.length ? 'hit' : 'empty' });
        metrics.historyMessages.inc(result.messages.length);
      }
      return { room_id: request.room_id, ...result };
    },
    refresh(source, rooms) {
      const target = cluster && !cluster.canPublish() ? io.local : io;
      for (const room of rooms) target.to(roomKey(source, room)).emit('refreshPage');
    },
  };
}
